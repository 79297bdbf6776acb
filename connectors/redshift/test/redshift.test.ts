// Request format: https://docs.aws.amazon.com/redshift-data/latest/APIReference/Welcome.html (JSON protocol,
// X-Amz-Target RedshiftData.ExecuteStatement / BatchExecuteStatement / DescribeStatement / GetStatementResult;
// API_SqlParameter.html: named parameters with non-empty values; 100 KB statement limit), errors: API_ExecuteStatement.html
// (ValidationException, ActiveStatementsExceededException, ExecuteStatementException), signing: SigV4, service redshift-data.
import { checkManifest, checkSettings, egressFor, regionsFor, type AnyConnector } from '@switchyard/sdk-kit';
import { buildIdentify, buildTrack, createTestHarness, type MockResponse } from '@switchyard/sdk-kit/testing';
import connector, { bindParameters } from '../src/index.js';
import { ACCESS_KEY_ID, HOST, SECRET_ACCESS_KEY, createFakeRedshift } from './fake-redshift.js';

const cluster = {
  region: 'eu-west-1',
  accessKeyId: ACCESS_KEY_ID,
  secretAccessKey: SECRET_ACCESS_KEY,
  database: 'analytics',
  clusterIdentifier: 'warehouse-1',
  dbUser: 'loader',
};
let connections = 0;
/** A fresh connection (so a fresh schema cache) to a fresh fake Data API. */
function redshift(options: Parameters<typeof createFakeRedshift>[0] = {}, settings: Record<string, unknown> = cluster) {
  const fake = createFakeRedshift(options);
  const harness = createTestHarness(connector, { settings, connectionId: `conn-rs-${(connections += 1)}` }).intercept(HOST, fake.respond);
  return { fake, harness };
}
const order = (messageId: string, properties: Record<string, unknown>) => ({ ...buildTrack({ messageId, event: 'Order Completed' }), properties });

test("the manifest passes the router's checks; the settings say where statements run", () => {
  expect(checkManifest(connector)).toEqual([]);
  const aws = connector as unknown as AnyConnector;
  expect(egressFor(aws, cluster)).toEqual([HOST]);
  expect(regionsFor(aws, cluster)).toEqual(['eu']);
  expect(checkSettings(aws, { ...cluster })).toEqual([]);
  const { clusterIdentifier: _c, dbUser: _u, ...serverless } = cluster;
  expect(checkSettings(aws, { ...serverless, workgroupName: 'analytics-wg' })).toEqual([]);
  expect(checkSettings(aws, { ...cluster, dbUser: undefined })).not.toEqual([]);
  expect(checkSettings(aws, { ...cluster, workgroupName: 'analytics-wg' })).not.toEqual([]);
  expect(checkSettings(aws, serverless)).not.toEqual([]);
});

test('creates schema and table in one BatchExecuteStatement, then inserts only rows whose id is not there yet', async () => {
  const { fake, harness } = redshift();
  const { results, requests } = await harness.run([
    order('m-1', { orderId: 'o-1', revenue: 59.9, itemCount: 2, tags: ['a'] }),
    order('m-2', { orderId: 'o-2' }),
  ]);
  expect(results).toEqual([{ status: 'ok' }, { status: 'ok' }]);
  expect(Object.fromEntries(fake.tables.get('switchyard.order_completed')!)).toMatchObject({
    id: 'character varying',
    order_id: 'character varying',
    revenue: 'double precision',
    item_count: 'bigint',
    tags: 'super',
    received_at: 'timestamp with time zone',
  });
  const ddl = fake.statements.filter((s) => s.batch);
  expect(ddl.map((s) => s.sql)).toContainEqual('CREATE SCHEMA IF NOT EXISTS "switchyard"');
  expect(ddl.map((s) => s.sql)).toContainEqual(
    expect.stringMatching(/^CREATE TABLE IF NOT EXISTS "switchyard"\."order_completed" \(.*"id" VARCHAR\(65535\) NOT NULL.*PRIMARY KEY \("id"\)\)$/),
  );
  const insert = fake.statements.find((s) => s.sql.startsWith('INSERT INTO "switchyard"."order_completed"'))!;
  expect(insert.sql).toMatch(
    /SELECT .*CAST\(:p\d+ AS BIGINT\) AS "item_count".*JSON_PARSE\(:p\d+\) AS "tags".* UNION ALL SELECT .* WHERE NOT EXISTS \(SELECT 1 FROM "switchyard"\."order_completed" t WHERE t\."id" = s\."id"\)$/,
  );
  expect(Object.values(insert.parameters)).toEqual(expect.arrayContaining(['m-1', 'm-2', 'o-1', '59.9', '2', '["a"]']));
  expect(insert.request).toMatchObject({ ClusterIdentifier: 'warehouse-1', Database: 'analytics', DbUser: 'loader' });
  expect(requests[0]!.headers).toMatchObject({ 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': expect.stringMatching(/^RedshiftData\./) });
  expect(requests[0]!.headers.authorization).toContain('/eu-west-1/redshift-data/aws4_request');
  expect(fake.operations).toEqual(expect.arrayContaining(['BatchExecuteStatement', 'ExecuteStatement', 'DescribeStatement', 'GetStatementResult']));
});

test('sends nulls and empty strings as SQL literals, since the Data API refuses empty parameter values', async () => {
  const params = [1, null, '', 'x', 5, 6, 7, 8, 9, 'ten'];
  expect(bindParameters('SELECT CAST(:p1 AS BIGINT), :p2, :p3, $4, :p10', params)).toEqual({
    sql: "SELECT CAST(:p1 AS BIGINT), NULL, '', :p4, :p10",
    parameters: [
      { name: 'p1', value: '1' },
      { name: 'p4', value: 'x' },
      { name: 'p10', value: 'ten' },
    ],
  });
  const { fake, harness } = redshift();
  const { results } = await harness.run([order('m-1', { note: '', coupon: 'c-1' }), order('m-2', { coupon: 'c-2' })]);
  expect(results).toEqual([{ status: 'ok' }, { status: 'ok' }]);
  const insert = fake.statements.find((s) => s.sql.startsWith('INSERT INTO "switchyard"."order_completed"'))!;
  expect(insert.sql).toContain('CAST(\'\' AS VARCHAR(65535)) AS "note"');
  expect(insert.sql).toContain('CAST(NULL AS VARCHAR(65535)) AS "note"');
});

test('adds columns for new properties, and takes a column another writer added first', async () => {
  const fake = createFakeRedshift({ pageSize: 3 });
  const connect = () => createTestHarness(connector, { settings: cluster, connectionId: `conn-rs-${(connections += 1)}` }).intercept(HOST, fake.respond);
  expect((await connect().run(order('m-1', { orderId: 'o-1' }))).results).toEqual([{ status: 'ok' }]);
  const first = connect();
  const second = connect();
  // Both connections read the schema (across several result pages) before either adds the column.
  expect((await first.run(order('m-2', { orderId: 'o-2', coupon: 'c' }))).results).toEqual([{ status: 'ok' }]);
  expect((await second.run(order('m-3', { orderId: 'o-3', coupon: 'd' }))).results).toEqual([{ status: 'ok' }]);
  expect(fake.tables.get('switchyard.order_completed')!.get('coupon')).toBe('character varying');
  expect(fake.statements.filter((s) => s.sql.startsWith('CREATE TABLE IF NOT EXISTS "switchyard"."order_completed"'))).toHaveLength(1);
});

test('a statement Redshift fails fails only the event whose row it could not take', async () => {
  const { results } = await redshift({
    fail: (s) => (s.sql.startsWith('INSERT') && Object.values(s.parameters).includes('bad') ? 'ERROR: invalid input syntax for type bigint: "bad"' : undefined),
  }).harness.run([order('m-1', { coupon: 'ok' }), order('m-2', { coupon: 'bad' })]);
  expect(results.map((r) => r.status)).toEqual(['ok', 'permanent']);
  expect(results[1]!.message).toContain('invalid input syntax');
});

test.each<[string, MockResponse, string]>([
  [
    'too many active statements waits',
    { status: 400, body: { __type: 'ActiveStatementsExceededException', message: 'Active statements exceeded the allowed quota (500).' } },
    'rate_limited',
  ],
  ['throttling waits', { status: 400, body: { __type: 'ThrottlingException', message: 'Rate exceeded' } }, 'rate_limited'],
  ['an internal error is retried', { status: 500, body: { __type: 'InternalServerException', message: 'Internal service error' } }, 'retryable'],
  [
    'an unknown cluster is permanent',
    { status: 400, body: { __type: 'ValidationException', message: "Redshift endpoint doesn't exist in this region." } },
    'permanent',
  ],
])('%s', async (_name, answer, status) => {
  const harness = createTestHarness(connector, { settings: cluster, connectionId: `conn-rs-${(connections += 1)}` }).intercept(HOST, () => answer);
  expect((await harness.run(buildTrack())).results[0]!.status).toBe(status);
});

test('refused credentials are an authentication failure, and the secret key appears nowhere', async () => {
  const { harness } = redshift({}, { ...cluster, secretAccessKey: 'a-wrong-secret-access-key' });
  const run = await harness.run(buildTrack());
  expect(run.results[0]).toMatchObject({ status: 'authentication', httpStatus: 403, code: 'AWS_InvalidSignatureException' });
  const seen = JSON.stringify(run.results) + run.logs.join('\n');
  expect(seen).not.toContain('a-wrong-secret-access-key');
});

test('runs on a Redshift Serverless workgroup', async () => {
  const { clusterIdentifier: _c, dbUser: _u, ...rest } = cluster;
  const { fake, harness } = redshift({}, { ...rest, workgroupName: 'analytics-wg', schema: 'events' });
  expect((await harness.run(buildTrack())).results).toEqual([{ status: 'ok' }]);
  expect(fake.statements[0]!.request).toMatchObject({ WorkgroupName: 'analytics-wg', Database: 'analytics' });
  expect(fake.statements[0]!.request).not.toHaveProperty('ClusterIdentifier');
  expect([...fake.tables.keys()].every((t) => t.startsWith('events.'))).toBe(true);
});

test("erasure deletes the user's rows in every table, found by id and by email", async () => {
  const { fake, harness } = redshift();
  await harness.run([buildIdentify({ messageId: 'i-1', userId: 'user-7', traits: { email: 'Ada@Example.com' } }), order('m-1', { orderId: 'o-1' })]);
  expect((await harness.runDelete({ user_id: 'user-7', email: ' ADA@example.com' })).result).toEqual({ status: 'ok' });
  expect(fake.statements.find((s) => s.sql.startsWith('SELECT DISTINCT'))).toMatchObject({
    sql: 'SELECT DISTINCT "user_id", "anonymous_id" FROM "switchyard"."identifies" WHERE lower(trim("email")) IN (CAST(:p1 AS VARCHAR(65535)))',
    parameters: { p1: 'ada@example.com' },
  });
  const deletes = fake.statements.filter((s) => s.sql.startsWith('DELETE')).map((s) => s.sql.split(' WHERE ')[0]);
  expect(deletes.sort()).toEqual(['DELETE FROM "switchyard"."identifies"', 'DELETE FROM "switchyard"."order_completed"', 'DELETE FROM "switchyard"."tracks"']);
});
