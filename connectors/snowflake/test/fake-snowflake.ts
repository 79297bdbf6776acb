import { createHash, createVerify, generateKeyPairSync } from 'node:crypto';
import nock from 'nock';

export const ACCOUNT = 'myorg-myaccount';
export const HOST = `https://${ACCOUNT}.snowflakecomputing.com`;

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
export const PRIVATE_KEY_PEM = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
/** What `DESC USER` shows as RSA_PUBLIC_KEY_FP for the test key. */
export const FINGERPRINT = `SHA256:${createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('base64')}`;

export function verifyJwt(jwt: string): Record<string, unknown> {
  const [header, claims, signature] = jwt.split('.');
  if (!createVerify('RSA-SHA256').update(`${header}.${claims}`).verify(publicKey, Buffer.from(signature!, 'base64url'))) {
    throw new Error('JWT signature does not verify');
  }
  return JSON.parse(Buffer.from(claims!, 'base64url').toString());
}

export interface StatementCall {
  statement: string;
  bindings?: Record<string, { type: string; value: string | null }>;
  database: string;
  schema: string;
  warehouse?: string;
  headers: Record<string, unknown>;
}

const READ_TYPE: Record<string, [string, string | null]> = {
  'NUMBER(38,0)': ['NUMBER', '0'], VARCHAR: ['TEXT', null], FLOAT: ['FLOAT', null], TIMESTAMP_TZ: ['TIMESTAMP_TZ', null],
  BOOLEAN: ['BOOLEAN', null], VARIANT: ['VARIANT', null],
};

const ok = (rowType: string[], data: Array<Array<string | null>>) => ({
  code: '090001', message: 'Statement executed successfully.', statementHandle: '01b2-handle', sqlState: '00000',
  resultSetMetaData: { numRows: data.length, format: 'jsonv2', rowType: rowType.map((name) => ({ name, type: 'text' })), partitionInfo: [{ rowCount: data.length }] },
  data,
});

/**
 * A stand-in for Snowflake's SQL API v2 as documented: POST /api/v2/statements runs one statement
 * (DDL, information_schema, MERGE, DELETE); `respond` can override the reply for matching statements.
 */
export function fakeSnowflake(respond?: (call: StatementCall) => [number, unknown] | undefined) {
  const tables = new Map<string, Map<string, string>>();
  const calls: StatementCall[] = [];
  nock(HOST).persist().post('/api/v2/statements').reply(function reply(_uri, body) {
    const call = { ...(body as Omit<StatementCall, 'headers'>), headers: this.req.headers };
    calls.push(call);
    const override = respond?.(call);
    if (override) return override;
    const sql = call.statement;
    if (sql.includes('information_schema.columns')) {
      const data = [...tables].flatMap(([table, columns]) => [...columns].map(([column, type]) => [table, column, ...READ_TYPE[type]!]));
      return [200, ok(['TABLE_NAME', 'COLUMN_NAME', 'DATA_TYPE', 'NUMERIC_SCALE'], data)];
    }
    const create = /^CREATE TABLE IF NOT EXISTS "\w+"\."\w+"\."(\w+)" \((.*), PRIMARY KEY/.exec(sql);
    if (create) {
      if (!tables.has(create[1]!)) {
        tables.set(create[1]!, new Map([...create[2]!.matchAll(/"(\w+)" ([A-Z_]+(?:\(38,0\))?)/g)].map((m) => [m[1]!, m[2]!])));
      }
      return [200, ok(['status'], [['Table created.']])];
    }
    const alter = /^ALTER TABLE "\w+"\."\w+"\."(\w+)" ADD COLUMN IF NOT EXISTS "(\w+)" ([A-Z_]+(?:\(38,0\))?)$/.exec(sql);
    if (alter) {
      tables.get(alter[1]!)!.set(alter[2]!, alter[3]!);
      return [200, ok(['status'], [['Statement executed successfully.']])];
    }
    if (sql.startsWith('CREATE SCHEMA')) return [200, ok(['status'], [['Schema already exists.']])];
    if (sql.startsWith('MERGE INTO')) return [200, ok(['number of rows inserted'], [[String(Object.keys(call.bindings ?? {}).length)]])];
    if (sql.startsWith('DELETE FROM')) return [200, ok(['number of rows deleted'], [['1']])];
    return [422, { code: '001003', message: `SQL compilation error: syntax error near ${sql.slice(0, 20)}`, sqlState: '42000', statementHandle: 'h-err' }];
  });
  return { tables, calls };
}
