import { createHash, createVerify, generateKeyPairSync } from 'node:crypto';

export const ACCOUNT = 'myorg-myaccount';
export const HOST = `https://${ACCOUNT}.snowflakecomputing.com`;

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
export const PRIVATE_KEY_PEM = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
/** What `DESC USER` shows as RSA_PUBLIC_KEY_FP for the test key. */
export const FINGERPRINT = `SHA256:${createHash('sha256')
  .update(publicKey.export({ type: 'spki', format: 'der' }))
  .digest('base64')}`;

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
  'NUMBER(38,0)': ['NUMBER', '0'],
  VARCHAR: ['TEXT', null],
  FLOAT: ['FLOAT', null],
  TIMESTAMP_TZ: ['TIMESTAMP_TZ', null],
  BOOLEAN: ['BOOLEAN', null],
  VARIANT: ['VARIANT', null],
};

const ok = (rowType: string[], data: Array<Array<string | null>>) => ({
  code: '090001',
  message: 'Statement executed successfully.',
  statementHandle: '01b2-handle',
  sqlState: '00000',
  resultSetMetaData: {
    numRows: data.length,
    format: 'jsonv2',
    rowType: rowType.map((name) => ({ name, type: 'text' })),
    partitionInfo: [{ rowCount: data.length }],
  },
  data,
});

/** A request as the fake sees it (the shape of the sdk-kit harness's CapturedRequest). */
export interface FakeRequest {
  method: string;
  url: string;
  headers: Record<string, unknown>;
  body: unknown;
}

/**
 * A stand-in for Snowflake's SQL API v2 as documented: POST /api/v2/statements runs one statement
 * (DDL, information_schema, MERGE, DELETE); `override` can replace the reply for matching statements.
 */
export function createFakeSnowflake(override?: (call: StatementCall) => [number, unknown] | undefined) {
  const tables = new Map<string, Map<string, string>>();
  const calls: StatementCall[] = [];
  function respond(request: FakeRequest): { status: number; body: unknown } {
    const call = { ...(request.body as Omit<StatementCall, 'headers'>), headers: request.headers };
    calls.push(call);
    const replaced = override?.(call);
    if (replaced) return { status: replaced[0], body: replaced[1] };
    const jwt = String(request.headers.authorization ?? '').replace(/^Bearer /, '');
    try {
      verifyJwt(jwt);
    } catch {
      return { status: 401, body: { code: '390144', message: 'JWT token is invalid.' } };
    }
    const sql = call.statement;
    if (sql.includes('information_schema.columns')) {
      const data = [...tables].flatMap(([table, columns]) => [...columns].map(([column, type]) => [table, column, ...READ_TYPE[type]!]));
      return { status: 200, body: ok(['TABLE_NAME', 'COLUMN_NAME', 'DATA_TYPE', 'NUMERIC_SCALE'], data) };
    }
    const create = /^CREATE TABLE IF NOT EXISTS "\w+"\."\w+"\."(\w+)" \((.*), PRIMARY KEY/.exec(sql);
    if (create) {
      if (!tables.has(create[1]!)) {
        tables.set(create[1]!, new Map([...create[2]!.matchAll(/"(\w+)" ([A-Z_]+(?:\(38,0\))?)/g)].map((m) => [m[1]!, m[2]!])));
      }
      return { status: 200, body: ok(['status'], [['Table created.']]) };
    }
    const alter = /^ALTER TABLE "\w+"\."\w+"\."(\w+)" ADD COLUMN IF NOT EXISTS "(\w+)" ([A-Z_]+(?:\(38,0\))?)$/.exec(sql);
    if (alter) {
      tables.get(alter[1]!)!.set(alter[2]!, alter[3]!);
      return { status: 200, body: ok(['status'], [['Statement executed successfully.']]) };
    }
    if (sql.startsWith('CREATE SCHEMA')) return { status: 200, body: ok(['status'], [['Schema already exists.']]) };
    if (sql.startsWith('MERGE INTO')) return { status: 200, body: ok(['number of rows inserted'], [[String(Object.keys(call.bindings ?? {}).length)]]) };
    if (sql.startsWith('DELETE FROM')) return { status: 200, body: ok(['number of rows deleted'], [['1']]) };
    if (sql.startsWith('SELECT DISTINCT')) return { status: 200, body: ok(['USER_ID', 'ANONYMOUS_ID'], []) };
    // Exports read rows back; the fake keeps none.
    if (sql.startsWith('SELECT * FROM')) return { status: 200, body: ok(['ID'], []) };
    return {
      status: 422,
      body: { code: '001003', message: `SQL compilation error: syntax error near ${sql.slice(0, 20)}`, sqlState: '42000', statementHandle: 'h-err' },
    };
  }
  return { tables, calls, respond };
}
