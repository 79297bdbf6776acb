import nock from 'nock';
import { tmpdir } from 'node:os';
import {
  checkManifest, executeEvents, prepareConnection, type AnyConnector, type CanonicalEvent, type PreparedConnection,
} from '@switchyard/sdk-kit';
import connector, { forgetTokens } from '../src/index.js';
import { DATASET, fakeBigQuery, PRIVATE_KEY_PEM, PROJECT, serviceAccountKey } from './fake-bigquery.js';

const settings = { projectId: PROJECT, datasetId: DATASET, serviceAccountKey };
let connections = 0;
/** A fresh connection (and so a fresh schema cache) for each test, prepared as the runtime's workers do. */
const connect = (overrides: Record<string, unknown> = {}): PreparedConnection => prepareConnection(connector as unknown as AnyConnector, {
  connectionId: `conn-bq-${(connections += 1)}`, settings: { ...settings, ...overrides }, dataDir: tmpdir(), logLevel: 'silent',
});
const run = (prepared: PreparedConnection, events: CanonicalEvent[]) => executeEvents(prepared, events);

const makeEvent = (overrides: Partial<CanonicalEvent> = {}): CanonicalEvent => ({
  messageId: 'msg-1', type: 'track', event: 'Order Completed', userId: 'user-1', identities: {}, traits: {}, properties: {},
  context: {}, timestamp: '2026-11-20T10:00:00.000Z', receivedAt: '2026-11-20T10:00:01.000Z', sourceId: 'src-1', ...overrides,
});

beforeAll(() => nock.disableNetConnect());
afterEach(() => { nock.cleanAll(); forgetTokens(); });
afterAll(() => nock.enableNetConnect());

test('the manifest passes the router\'s checks and declares Google\'s hosts', () => {
  expect(checkManifest(connector)).toEqual([]);
  expect(connector.egress).toEqual(['bigquery.googleapis.com', 'oauth2.googleapis.com']);
});

test('creates tables with DDL, then streams rows with the messageId as insertId, authenticated by a signed JWT', async () => {
  const bq = fakeBigQuery();
  const prepared = connect();
  const results = await run(prepared, [
    makeEvent({ messageId: 'm-1', properties: { orderId: 'o-1', revenue: 59.9, itemCount: 2, paidAt: '2026-11-20T09:59:00Z' } }),
    makeEvent({ messageId: 'm-2', properties: { orderId: 'o-2', revenue: 10 } }),
  ]);
  expect(results).toEqual([{ status: 'ok' }, { status: 'ok' }]);

  expect(bq.assertions).toHaveLength(1);
  expect(bq.assertions[0]).toMatchObject({
    iss: 'loader@acme-analytics.iam.gserviceaccount.com', scope: 'https://www.googleapis.com/auth/bigquery',
    aud: 'https://oauth2.googleapis.com/token',
  });
  expect(Object.fromEntries(bq.tables.get('order_completed')!)).toMatchObject({
    id: 'STRING', order_id: 'STRING', revenue: 'FLOAT64', item_count: 'INT64', paid_at: 'TIMESTAMP', received_at: 'TIMESTAMP',
  });
  const orders = bq.inserts.find((i) => i.table === 'order_completed')!;
  expect(orders.authorization).toBe('Bearer ya29.test-token');
  expect(orders.body.skipInvalidRows).toBe(true);
  expect(orders.body.rows.map((r) => r.insertId)).toEqual(['m-1', 'm-2']);
  expect(orders.body.rows[0]!.json).toMatchObject({
    id: 'm-1', order_id: 'o-1', revenue: 59.9, item_count: 2, paid_at: '2026-11-20T09:59:00.000Z', event: 'order_completed', user_id: 'user-1',
  });
  expect(bq.inserts.find((i) => i.table === 'tracks')!.body.rows.map((r) => r.insertId)).toEqual(['m-1', 'm-2']);

  // The next batch reuses the cached token and schema: no new exchange, no DDL.
  const queriesBefore = bq.queries.length;
  await run(prepared, [makeEvent({ messageId: 'm-3', properties: { orderId: 'o-3' } })]);
  expect(bq.assertions).toHaveLength(1);
  expect(bq.queries.length).toBe(queriesBefore);
});

test('a new property adds a column; a value that does not fit goes to the discards table', async () => {
  const bq = fakeBigQuery();
  const prepared = connect();
  await run(prepared, [makeEvent({ messageId: 'm-1', properties: { itemCount: 2 } })]);
  const results = await run(prepared, [makeEvent({ messageId: 'm-2', properties: { itemCount: 'many', coupon: 'WINTER' } })]);
  expect(results).toEqual([{ status: 'ok' }]);
  expect(bq.queries.map((q) => q.query)).toContainEqual(expect.stringMatching(/^ALTER TABLE `acme-analytics\.switchyard\.order_completed` ADD COLUMN IF NOT EXISTS `coupon` STRING$/));
  expect(bq.tables.get('order_completed')!.get('item_count')).toBe('INT64');
  const discards = bq.inserts.find((i) => i.table === 'discards')!;
  expect(discards.body.rows.map((r) => r.json)).toEqual([expect.objectContaining({
    message_id: 'm-2', table_name: 'order_completed', column_name: 'item_count', value: 'many',
    reason: 'type mismatch: the column is bigint, the value is text',
  })]);
});

test('rows BigQuery rejects fail alone; the other rows of the request succeed', async () => {
  fakeBigQuery({ rejectRow: (json) => (json.order_id === 'bad' ? 'Invalid value for order_id' : undefined) });
  const results = await run(connect(), [
    makeEvent({ messageId: 'ok-1', properties: { orderId: 'good' } }),
    makeEvent({ messageId: 'bad-1', properties: { orderId: 'bad' } }),
  ]);
  expect(results[0]).toEqual({ status: 'ok' });
  expect(results[1]).toMatchObject({ status: 'permanent', code: 'BIGQUERY_ROW_invalid', message: expect.stringContaining('Invalid value for order_id') });
});

test('sends at most 500 rows per insertAll request', async () => {
  const bq = fakeBigQuery();
  const events = Array.from({ length: 600 }, (_, i) => makeEvent({ messageId: `id-${i}`, type: 'identify', traits: { plan: 'pro' } }));
  const prepared = connect();
  // The runtime hands the connector at most batch.maxItems (500) events per call.
  const results = await run(prepared, events);
  expect(results.every((r) => r.status === 'ok')).toBe(true);
  expect(bq.inserts.filter((i) => i.table === 'identifies').map((i) => i.body.rows.length)).toEqual([500, 100]);
});

describe('errors', () => {
  const tokenOk = () => nock('https://oauth2.googleapis.com').post('/token').reply(200, { access_token: 'ya29.test-token', expires_in: 3599 });
  const queries = () => nock('https://bigquery.googleapis.com').post(`/bigquery/v2/projects/${PROJECT}/queries`);

  test('401 is an authentication failure', async () => {
    tokenOk();
    queries().reply(401, { error: { code: 401, message: 'Request had invalid authentication credentials.', status: 'UNAUTHENTICATED' } });
    const [result] = await run(connect(), [makeEvent()]);
    expect(result).toMatchObject({ status: 'authentication', httpStatus: 401, message: expect.stringContaining('settings.serviceAccountKey') });
  });

  test('403 rateLimitExceeded is rate limited, other 403s are authentication', async () => {
    tokenOk();
    queries().reply(403, { error: { code: 403, message: 'Exceeded rate limits', errors: [{ reason: 'rateLimitExceeded' }] } });
    expect((await run(connect(), [makeEvent()]))[0]).toMatchObject({ status: 'rate_limited', code: 'BIGQUERY_rateLimitExceeded' });
    queries().reply(403, { error: { code: 403, message: 'Access Denied: Dataset acme-analytics:switchyard', errors: [{ reason: 'accessDenied' }] } });
    expect((await run(connect(), [makeEvent()]))[0]).toMatchObject({ status: 'authentication', message: expect.stringContaining('Data Editor') });
  });

  test('a missing dataset is permanent and says what to create', async () => {
    tokenOk();
    queries().reply(404, { error: { code: 404, message: 'Not found: Dataset acme-analytics:switchyard', errors: [{ reason: 'notFound' }] } });
    const [result] = await run(connect(), [makeEvent()]);
    expect(result).toMatchObject({ status: 'permanent', message: expect.stringContaining('create the dataset') });
  });

  test('a refused service account is an authentication failure that does not leak the key', async () => {
    nock('https://oauth2.googleapis.com').post('/token').reply(400, { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' });
    const [result] = await run(connect(), [makeEvent()]);
    expect(result).toMatchObject({ status: 'authentication', code: 'BIGQUERY_TOKEN_REFUSED', message: expect.stringContaining('Invalid JWT Signature') });
    expect(JSON.stringify(result)).not.toContain(PRIVATE_KEY_PEM.split('\n')[1]);
  });

  test('a key that is not a service-account key is an authentication failure naming the setting', async () => {
    const [result] = await run(connect({ serviceAccountKey: '{"type":"authorized_user"}' }), [makeEvent()]);
    expect(result).toMatchObject({ status: 'authentication', message: expect.stringContaining('settings.serviceAccountKey') });
  });
});

test('erasure runs a parameterised DML DELETE on every table with user columns', async () => {
  const bq = fakeBigQuery();
  const prepared = connect();
  await run(prepared, [makeEvent({ messageId: 'm-1', anonymousId: 'anon-1' })]);
  await prepared.connector.onDelete!({
    settings: prepared.settings as never, connectionId: prepared.connectionId, http: prepared.http, log: prepared.log,
    signal: new AbortController().signal, dataDir: prepared.dataDir, user: { identities: { user_id: 'user-1', anonymous_id: 'anon-1' } },
  });
  const deletes = bq.queries.filter((q) => q.query.startsWith('DELETE'));
  expect(deletes.map((d) => d.query).sort()).toEqual([
    'DELETE FROM `acme-analytics.switchyard.order_completed` WHERE `user_id` IN UNNEST(@v0) OR `anonymous_id` IN UNNEST(@v1)',
    'DELETE FROM `acme-analytics.switchyard.tracks` WHERE `user_id` IN UNNEST(@v0) OR `anonymous_id` IN UNNEST(@v1)',
  ]);
  expect(deletes[0]!.queryParameters).toEqual([
    { name: 'v0', parameterType: { type: 'ARRAY', arrayType: { type: 'STRING' } }, parameterValue: { arrayValues: [{ value: 'user-1' }] } },
    { name: 'v1', parameterType: { type: 'ARRAY', arrayType: { type: 'STRING' } }, parameterValue: { arrayValues: [{ value: 'anon-1' }] } },
  ]);
});

test('erasure by email alone finds the user and anonymous ids recorded with it and deletes their rows too', async () => {
  const bq = fakeBigQuery({ idsByEmail: { 'jane@example.com': [{ user_id: 'user-9', anonymous_id: 'anon-9' }] } });
  const prepared = connect();
  await run(prepared, [makeEvent({ messageId: 'm-id', type: 'identify', userId: 'user-9', anonymousId: 'anon-9', traits: { email: 'jane@example.com' } }), makeEvent({ messageId: 'm-t', userId: 'user-9' })]);
  await prepared.connector.onDelete!({
    settings: prepared.settings as never, connectionId: prepared.connectionId, http: prepared.http, log: prepared.log,
    signal: new AbortController().signal, dataDir: prepared.dataDir, user: { identities: { email: 'jane@example.com' } },
  });
  const lookup = bq.queries.find((q) => q.query.startsWith('SELECT DISTINCT'))!;
  expect(lookup.query).toBe('SELECT DISTINCT `user_id`, `anonymous_id` FROM `acme-analytics.switchyard.identifies` WHERE `email` IN UNNEST(@v0)');
  const tracksDelete = bq.queries.find((q) => q.query.startsWith('DELETE FROM `acme-analytics.switchyard.tracks`'))!;
  expect(tracksDelete.query).toBe('DELETE FROM `acme-analytics.switchyard.tracks` WHERE `user_id` IN UNNEST(@v0) OR `anonymous_id` IN UNNEST(@v1)');
  expect(JSON.stringify(tracksDelete.queryParameters)).toContain('user-9');
  const identifiesDelete = bq.queries.find((q) => q.query.startsWith('DELETE FROM `acme-analytics.switchyard.identifies`'))!;
  expect(identifiesDelete.query).toContain('`email` IN UNNEST(@v2)');
});

test('DML blocked by the streaming buffer is retried later, not given up', async () => {
  nock('https://oauth2.googleapis.com').post('/token').reply(200, { access_token: 'ya29.test-token', expires_in: 3599 });
  const q = nock('https://bigquery.googleapis.com').post(`/bigquery/v2/projects/${PROJECT}/queries`);
  q.reply(200, { jobComplete: true, schema: { fields: [{ name: 'table_name' }, { name: 'column_name' }, { name: 'data_type' }] }, rows: [{ f: [{ v: 'tracks' }, { v: 'user_id' }, { v: 'STRING' }] }] });
  nock('https://bigquery.googleapis.com').post(`/bigquery/v2/projects/${PROJECT}/queries`).reply(400, {
    error: { code: 400, message: 'UPDATE or DELETE statement over table acme-analytics.switchyard.tracks would affect rows in the streaming buffer, which is not supported', errors: [{ reason: 'invalidQuery' }] },
  });
  const prepared = connect();
  await expect(prepared.connector.onDelete!({
    settings: prepared.settings as never, connectionId: prepared.connectionId, http: prepared.http, log: prepared.log,
    signal: new AbortController().signal, dataDir: prepared.dataDir, user: { identities: { user_id: 'user-1' } },
  })).rejects.toMatchObject({ outcome: 'retryable', code: 'BIGQUERY_STREAMING_BUFFER', retryAfterMs: 1_800_000 });
});
