import { verifyAwsSignature, type CapturedRequest, type MockResponse } from '@switchyard/sdk-kit/testing';

export const ACCESS_KEY_ID = 'AKIAIOSFODNN7EXAMPLE';
export const SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
export const HOST = 'redshift-data.eu-west-1.amazonaws.com';

export interface Statement {
  sql: string;
  parameters: Record<string, string>;
  /** The ExecuteStatement/BatchExecuteStatement body, for where it ran (ClusterIdentifier, DbUser, …). */
  request: Record<string, unknown>;
  batch?: string;
}

const awsJsonError = (status: number, type: string, message: string): MockResponse => ({
  status,
  headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': `${type}:` },
  body: { __type: type, message },
});
const READ_TYPE: Record<string, string> = {
  BOOLEAN: 'boolean',
  BIGINT: 'bigint',
  'DOUBLE PRECISION': 'double precision',
  TIMESTAMPTZ: 'timestamp with time zone',
  'VARCHAR(65535)': 'character varying',
  SUPER: 'super',
};
const TYPE = /(BOOLEAN|BIGINT|DOUBLE PRECISION|TIMESTAMPTZ|VARCHAR\(65535\)|SUPER)/.source;

/**
 * A stand-in for the Redshift Data API as documented: the JSON protocol (`X-Amz-Target: RedshiftData.<Operation>`,
 * `application/x-amz-json-1.1`, SigV4 for `redshift-data`), ExecuteStatement / BatchExecuteStatement answering an
 * Id, DescribeStatement (STARTED first, then FINISHED or FAILED), GetStatementResult paged by NextToken. It keeps
 * the tables and columns the DDL makes, and refuses what the service refuses: bad signatures, a missing Database
 * or cluster/workgroup, a Sql over 100 KB, empty or unused parameters. `fail` makes a statement fail as Redshift reports it.
 */
export function createFakeRedshift(options: { fail?: (statement: Statement) => string | undefined; pageSize?: number } = {}) {
  const tables = new Map<string, Map<string, string>>();
  const statements: Statement[] = [];
  const operations: string[] = [];
  const results = new Map<string, { error?: string; rows?: Array<Array<string | null>>; columns?: string[]; described: number }>();
  let ids = 0;

  function run(statement: Statement): { error?: string; rows?: Array<Array<string | null>>; columns?: string[] } {
    statements.push(statement);
    const failed = options.fail?.(statement);
    if (failed) return { error: failed };
    const sql = statement.sql;
    for (const used of sql.matchAll(/:(\w+)/g)) {
      if (!(used[1]! in statement.parameters)) return { error: `ERROR: parameter :${used[1]} has no value` };
    }
    const create = new RegExp(`^CREATE TABLE IF NOT EXISTS "(\\w+)"\\."(\\w+)" \\((.*), PRIMARY KEY`).exec(sql);
    if (create) {
      const key = `${create[1]}.${create[2]}`;
      if (!tables.has(key)) tables.set(key, new Map([...create[3]!.matchAll(new RegExp(`"(\\w+)" ${TYPE}`, 'g'))].map((m) => [m[1]!, READ_TYPE[m[2]!]!])));
      return {};
    }
    const alter = new RegExp(`^ALTER TABLE "(\\w+)"\\."(\\w+)" ADD COLUMN "(\\w+)" ${TYPE}$`).exec(sql);
    if (alter) {
      const columns = tables.get(`${alter[1]}.${alter[2]}`);
      if (!columns) return { error: `ERROR: relation "${alter[1]}.${alter[2]}" does not exist` };
      if (columns.has(alter[3]!)) return { error: `ERROR: column "${alter[3]}" of relation "${alter[2]}" already exists` };
      columns.set(alter[3]!, READ_TYPE[alter[4]!]!);
      return {};
    }
    if (sql.includes('information_schema.columns')) {
      const schema = statement.parameters.p1;
      const rows = [...tables].filter(([t]) => t.startsWith(`${schema}.`)).flatMap(([t, cols]) => [...cols].map(([c, type]) => [t.split('.')[1]!, c, type]));
      return { columns: ['table_name', 'column_name', 'data_type'], rows };
    }
    if (/^CREATE SCHEMA IF NOT EXISTS "\w+"$/.test(sql)) return {};
    if (/^INSERT INTO "\w+"\."\w+" \(.*\) SELECT .* FROM \(SELECT .*\) s WHERE NOT EXISTS \(SELECT 1 FROM "\w+"\."\w+" t WHERE .*\)$/.test(sql)) return {};
    if (/^DELETE FROM "\w+"\."\w+" WHERE /.test(sql)) return {};
    if (/^SELECT DISTINCT /.test(sql)) return { columns: ['user_id', 'anonymous_id'], rows: [] };
    if (/^SELECT \* FROM /.test(sql)) return { columns: ['id'], rows: [] };
    return { error: `ERROR: syntax error at or near "${sql.slice(0, 12)}"` };
  }

  function submit(request: Record<string, unknown>, sqls: string[], parameters: Record<string, string>): MockResponse {
    const id = `stmt-${(ids += 1)}`;
    let outcome: { error?: string; rows?: Array<Array<string | null>>; columns?: string[] } = {};
    for (const [i, sql] of sqls.entries()) {
      outcome = run({ sql, parameters, request, ...(sqls.length > 1 || request.Sqls ? { batch: `${id}:${i + 1}` } : {}) });
      if (outcome.error) break;
    }
    results.set(id, { ...outcome, described: 0 });
    return { status: 200, body: { Id: id, Database: request.Database, CreatedAt: Date.now() / 1000 } };
  }

  function respond(request: CapturedRequest): MockResponse {
    const problem = verifyAwsSignature(request, { [ACCESS_KEY_ID]: SECRET_ACCESS_KEY });
    if (problem) {
      const type = problem.code === 'InvalidAccessKeyId' ? 'UnrecognizedClientException' : 'InvalidSignatureException';
      return awsJsonError(403, type, 'The request signature we calculated does not match the signature you provided.');
    }
    const target = request.headers['x-amz-target'] ?? '';
    if (request.method !== 'POST' || request.headers['content-type'] !== 'application/x-amz-json-1.1' || !target.startsWith('RedshiftData.')) {
      return awsJsonError(400, 'UnknownOperationException', 'Unknown operation');
    }
    const operation = target.slice('RedshiftData.'.length);
    operations.push(operation);
    const body = (typeof request.body === 'string' ? JSON.parse(request.body) : request.body) as Record<string, unknown>;
    if (operation === 'ExecuteStatement' || operation === 'BatchExecuteStatement') {
      if (typeof body.Database !== 'string') return awsJsonError(400, 'ValidationException', 'Database is required');
      if (Boolean(body.ClusterIdentifier) === Boolean(body.WorkgroupName)) {
        return awsJsonError(400, 'ValidationException', 'Either ClusterIdentifier or WorkgroupName is required, not both');
      }
      const sqls = operation === 'ExecuteStatement' ? [body.Sql] : (body.Sqls as unknown[]);
      if (!Array.isArray(sqls) || sqls.some((s) => typeof s !== 'string' || s.length === 0)) return awsJsonError(400, 'ValidationException', 'Sql is required');
      if (sqls.some((s) => Buffer.byteLength(s as string) > 100_000))
        return awsJsonError(400, 'ValidationException', 'Cannot process query string larger than 100kB');
      const parameters: Record<string, string> = {};
      for (const p of (body.Parameters as Array<{ name?: string; value?: string }> | undefined) ?? []) {
        if (!/^[0-9a-zA-Z_]+$/.test(p.name ?? '') || typeof p.value !== 'string' || p.value.length === 0) {
          return awsJsonError(400, 'ValidationException', `Parameter ${p.name} must have a name and a non-empty value`);
        }
        if (!(sqls[0] as string).includes(`:${p.name}`)) return awsJsonError(400, 'ValidationException', `Parameter ${p.name} is not used in the SQL`);
        parameters[p.name!] = p.value;
      }
      return submit(body, sqls as string[], parameters);
    }
    const result = results.get(String(body.Id));
    if (!result) return awsJsonError(400, 'ResourceNotFoundException', `Query does not exist: ${String(body.Id)}`);
    if (operation === 'DescribeStatement') {
      result.described += 1;
      const status = result.described === 1 ? 'STARTED' : result.error ? 'FAILED' : 'FINISHED';
      return {
        status: 200,
        body: { Id: body.Id, Status: status, ...(status === 'FAILED' ? { Error: result.error } : {}), HasResultSet: Boolean(result.columns) },
      };
    }
    if (operation === 'GetStatementResult') {
      const size = options.pageSize ?? 1000;
      const start = Number(body.NextToken ?? 0);
      const page = (result.rows ?? []).slice(start, start + size);
      return {
        status: 200,
        body: {
          ColumnMetadata: (result.columns ?? []).map((name) => ({ name, typeName: 'varchar' })),
          Records: page.map((row) => row.map((v) => (v === null ? { isNull: true } : { stringValue: v }))),
          TotalNumRows: result.rows?.length ?? 0,
          ...(start + size < (result.rows?.length ?? 0) ? { NextToken: String(start + size) } : {}),
        },
      };
    }
    return awsJsonError(400, 'UnknownOperationException', `Unknown operation ${operation}`);
  }
  return { tables, statements, operations, respond };
}
