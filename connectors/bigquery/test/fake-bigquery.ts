import { createVerify, generateKeyPairSync } from 'node:crypto';

export const PROJECT = 'acme-analytics';
export const DATASET = 'switchyard';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
export const PRIVATE_KEY_PEM = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
export const serviceAccountKey = JSON.stringify({
  type: 'service_account',
  project_id: PROJECT,
  client_email: 'loader@acme-analytics.iam.gserviceaccount.com',
  private_key: PRIVATE_KEY_PEM,
});

export interface InsertAllCall {
  table: string;
  authorization: string;
  body: { skipInvalidRows: boolean; rows: Array<{ insertId: string; json: Record<string, unknown> }> };
}

/** Checks an RS256 JWT against the test key; returns its claims. */
export function verifyAssertion(jwt: string): Record<string, unknown> {
  const [header, claims, signature] = jwt.split('.');
  const valid = createVerify('RSA-SHA256').update(`${header}.${claims}`).verify(publicKey, Buffer.from(signature!, 'base64url'));
  if (!valid) throw new Error('assertion signature does not verify');
  return JSON.parse(Buffer.from(claims!, 'base64url').toString());
}

/** A request as the fake sees it (the shape of the sdk-kit harness's CapturedRequest). */
export interface FakeRequest {
  method: string;
  url: string;
  headers: Record<string, unknown>;
  body: unknown;
}
export interface FakeResponse {
  status: number;
  body: unknown;
}

/**
 * A stand-in for BigQuery's REST API as documented: OAuth token exchange, jobs.query for DDL,
 * INFORMATION_SCHEMA and DML, and tabledata.insertAll with per-row insertErrors.
 */
export function createFakeBigQuery(
  options: {
    rejectRow?: (json: Record<string, unknown>) => string | undefined;
    idsByEmail?: Record<string, Array<{ user_id: string; anonymous_id: string }>>;
  } = {},
) {
  const tables = new Map<string, Map<string, string>>();
  const state = {
    tables,
    assertions: [] as Array<Record<string, unknown>>,
    queries: [] as Array<{ query: string; queryParameters?: unknown[] }>,
    inserts: [] as InsertAllCall[],
  };
  const token = (body: unknown): FakeResponse => {
    const form = new URLSearchParams(String(body));
    if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') return { status: 400, body: { error: 'unsupported_grant_type' } };
    state.assertions.push(verifyAssertion(form.get('assertion')!));
    return { status: 200, body: { access_token: 'ya29.test-token', expires_in: 3599, token_type: 'Bearer' } };
  };
  const query = (request: { query: string; queryParameters?: unknown[] }): FakeResponse => {
    state.queries.push(request);
    const done = {
      kind: 'bigquery#queryResponse',
      jobComplete: true,
      jobReference: { projectId: PROJECT, jobId: `job_${state.queries.length}`, location: 'US' },
    };
    const sql = request.query;
    if (sql.includes('INFORMATION_SCHEMA.COLUMNS')) {
      const rows = [...tables].flatMap(([table, columns]) => [...columns].map(([column, type]) => ({ f: [{ v: table }, { v: column }, { v: type }] })));
      return {
        status: 200,
        body: {
          ...done,
          schema: {
            fields: [
              { name: 'table_name', type: 'STRING' },
              { name: 'column_name', type: 'STRING' },
              { name: 'data_type', type: 'STRING' },
            ],
          },
          rows,
          totalRows: String(rows.length),
        },
      };
    }
    const create = /^CREATE TABLE IF NOT EXISTS `[^.]+\.[^.]+\.([a-z0-9_]+)` \((.*)\)$/.exec(sql);
    if (create) {
      if (!tables.has(create[1]!))
        tables.set(create[1]!, new Map(create[2]!.split(', ').map((d) => /^`(\w+)` (\w+)$/.exec(d)!.slice(1, 3) as [string, string])));
      return { status: 200, body: done };
    }
    const alter = /^ALTER TABLE `[^.]+\.[^.]+\.([a-z0-9_]+)` (.*)$/.exec(sql);
    if (alter) {
      for (const clause of alter[2]!.split(', ')) {
        const [, column, type] = /ADD COLUMN IF NOT EXISTS `(\w+)` (\w+)/.exec(clause)!;
        if (!tables.get(alter[1]!)!.has(column!)) tables.get(alter[1]!)!.set(column!, type!);
      }
      return { status: 200, body: done };
    }
    if (sql.startsWith('DELETE FROM')) return { status: 200, body: { ...done, numDmlAffectedRows: '1' } };
    // Erasure by email looks up the ids recorded with it; the fake keeps no rows, `idsByEmail` stands in for them.
    if (sql.startsWith('SELECT DISTINCT')) {
      const emails = ((request.queryParameters?.[0] as { parameterValue?: { arrayValues?: Array<{ value: string }> } })?.parameterValue?.arrayValues ?? []).map(
        (v) => v.value,
      );
      const found = emails.flatMap((e) => options.idsByEmail?.[e] ?? []);
      return {
        status: 200,
        body: {
          ...done,
          schema: { fields: [{ name: 'user_id' }, { name: 'anonymous_id' }] },
          rows: found.map((f) => ({ f: [{ v: f.user_id }, { v: f.anonymous_id }] })),
        },
      };
    }
    // Exports read rows back; the fake keeps none.
    if (sql.startsWith('SELECT * FROM')) return { status: 200, body: { ...done, schema: { fields: [{ name: 'id' }] }, rows: [] } };
    return {
      status: 400,
      body: { error: { code: 400, message: `Syntax error: unexpected statement ${sql.slice(0, 30)}`, errors: [{ reason: 'invalidQuery' }] } },
    };
  };
  const insertAll = (table: string, authorization: string, body: unknown): FakeResponse => {
    const call = { table, authorization, body: body as InsertAllCall['body'] };
    state.inserts.push(call);
    const insertErrors = call.body.rows.flatMap((row, index) => {
      const problem = options.rejectRow?.(row.json);
      return problem ? [{ index, errors: [{ reason: 'invalid', location: 'order_id', message: problem }] }] : [];
    });
    return { status: 200, body: { kind: 'bigquery#tableDataInsertAllResponse', ...(insertErrors.length ? { insertErrors } : {}) } };
  };
  const unauthenticated = {
    status: 401,
    body: { error: { code: 401, message: 'Request had invalid authentication credentials.', status: 'UNAUTHENTICATED' } },
  };

  /** Answers one request the way BigQuery would. */
  function respond(request: FakeRequest): FakeResponse {
    const url = new URL(request.url);
    if (url.host === 'oauth2.googleapis.com' && url.pathname === '/token') return token(request.body);
    if (request.headers.authorization !== 'Bearer ya29.test-token') return unauthenticated;
    if (url.pathname === `/bigquery/v2/projects/${PROJECT}/queries`) return query(request.body as { query: string });
    const insert = new RegExp(`^/bigquery/v2/projects/${PROJECT}/datasets/${DATASET}/tables/(\\w+)/insertAll$`).exec(url.pathname);
    if (insert) return insertAll(insert[1]!, String(request.headers.authorization), request.body);
    return { status: 404, body: { error: { code: 404, message: `Not found: ${url.pathname}`, errors: [{ reason: 'notFound' }] } } };
  }
  return { state, respond };
}
