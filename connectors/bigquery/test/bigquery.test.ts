import { checkManifest, type CanonicalEvent } from '@switchyard/sdk-kit';
import { buildIdentify, buildTrack, createTestHarness, type EventOverrides, type MockResponse } from '@switchyard/sdk-kit/testing';
import connector, { forgetTokens } from '../src/index.js';
import { createFakeBigQuery, DATASET, PRIVATE_KEY_PEM, PROJECT, serviceAccountKey } from './fake-bigquery.js';

const settings = { projectId: PROJECT, datasetId: DATASET, serviceAccountKey };
const TOKEN_OK: MockResponse = { body: { access_token: 'ya29.test-token', expires_in: 3599 } };
const QUERIES = `https://bigquery.googleapis.com/bigquery/v2/projects/${PROJECT}/queries`;
let connections = 0;

/** A fresh connection (and so a fresh schema cache) for each test, run in this thread by the harness. */
const connect = (overrides: Record<string, unknown> = {}) =>
  createTestHarness(connector, { settings: { ...settings, ...overrides }, connectionId: `conn-bq-${(connections += 1)}` });

/** A fresh connection to the fake BigQuery; `bq` is what the fake was asked (tables, token assertions, queries, inserts). */
function fakeBigQuery(options: Parameters<typeof createFakeBigQuery>[0] = {}) {
  const { state, respond } = createFakeBigQuery(options);
  return { bq: state, harness: connect().respond(respond) };
}

/** A connection whose token exchange succeeds and whose jobs.query calls get `answers`, in order. */
function answeringQueries(...answers: MockResponse[]) {
  return connect()
    .intercept('oauth2.googleapis.com', () => TOKEN_OK)
    .intercept('bigquery.googleapis.com', (request) => {
      if (request.url !== QUERIES) throw new Error(`unexpected request to ${request.url}`);
      return answers.shift() ?? { status: 500, body: { error: { code: 500, message: 'no answer left in the test' } } };
    });
}

const event = (overrides: EventOverrides = {}): CanonicalEvent => buildTrack({ event: 'Order Completed', ...overrides });
const order = (messageId: string, properties: Record<string, unknown>): CanonicalEvent => ({ ...event({ messageId }), properties });

afterEach(() => forgetTokens());

test("the manifest passes the router's checks and declares Google's hosts", () => {
  expect(checkManifest(connector)).toEqual([]);
  expect(connector.egress).toEqual(['bigquery.googleapis.com', 'oauth2.googleapis.com']);
});

test('creates tables with DDL, then streams rows with the messageId as insertId, authenticated by a signed JWT', async () => {
  const { bq, harness } = fakeBigQuery();
  const { results } = await harness.run([
    order('m-1', { orderId: 'o-1', revenue: 59.9, itemCount: 2, paidAt: '2026-11-20T09:59:00Z' }),
    order('m-2', { orderId: 'o-2', revenue: 10 }),
  ]);
  expect(results).toEqual([{ status: 'ok' }, { status: 'ok' }]);

  expect(bq.assertions).toHaveLength(1);
  expect(bq.assertions[0]).toMatchObject({
    iss: 'loader@acme-analytics.iam.gserviceaccount.com',
    scope: 'https://www.googleapis.com/auth/bigquery',
    aud: 'https://oauth2.googleapis.com/token',
  });
  expect(Object.fromEntries(bq.tables.get('order_completed')!)).toMatchObject({
    id: 'STRING',
    order_id: 'STRING',
    revenue: 'FLOAT64',
    item_count: 'INT64',
    paid_at: 'TIMESTAMP',
    received_at: 'TIMESTAMP',
  });
  const orders = bq.inserts.find((i) => i.table === 'order_completed')!;
  expect(orders.authorization).toBe('Bearer ya29.test-token');
  expect(orders.body.skipInvalidRows).toBe(true);
  expect(orders.body.rows.map((r) => r.insertId)).toEqual(['m-1', 'm-2']);
  expect(orders.body.rows[0]!.json).toMatchObject({
    id: 'm-1',
    order_id: 'o-1',
    revenue: 59.9,
    item_count: 2,
    paid_at: '2026-11-20T09:59:00.000Z',
    event: 'order_completed',
    user_id: 'user-1',
  });
  expect(bq.inserts.find((i) => i.table === 'tracks')!.body.rows.map((r) => r.insertId)).toEqual(['m-1', 'm-2']);

  // The next batch reuses the cached token and schema: no new exchange, no DDL.
  const queriesBefore = bq.queries.length;
  expect((await harness.run(order('m-3', { orderId: 'o-3' }))).results).toEqual([{ status: 'ok' }]);
  expect(bq.assertions).toHaveLength(1);
  expect(bq.queries.length).toBe(queriesBefore);
});

test('a new property adds a column; a value that does not fit goes to the discards table', async () => {
  const { bq, harness } = fakeBigQuery();
  expect((await harness.run(order('m-1', { itemCount: 2 }))).results).toEqual([{ status: 'ok' }]);
  const { results } = await harness.run(order('m-2', { itemCount: 'many', coupon: 'WINTER' }));
  expect(results).toEqual([{ status: 'ok' }]);
  expect(bq.queries.map((q) => q.query)).toContainEqual(
    expect.stringMatching(/^ALTER TABLE `acme-analytics\.switchyard\.order_completed` ADD COLUMN IF NOT EXISTS `coupon` STRING$/),
  );
  expect(bq.tables.get('order_completed')!.get('item_count')).toBe('INT64');
  const discards = bq.inserts.find((i) => i.table === 'discards')!;
  expect(discards.body.rows.map((r) => r.json)).toEqual([
    expect.objectContaining({
      message_id: 'm-2',
      table_name: 'order_completed',
      column_name: 'item_count',
      value: 'many',
      reason: 'type mismatch: the column is bigint, the value is text',
    }),
  ]);
});

test('rows BigQuery rejects fail alone; the other rows of the request succeed', async () => {
  const { harness } = fakeBigQuery({ rejectRow: (json) => (json.order_id === 'bad' ? 'Invalid value for order_id' : undefined) });
  const { results } = await harness.run([order('ok-1', { orderId: 'good' }), order('bad-1', { orderId: 'bad' })]);
  expect(results[0]).toEqual({ status: 'ok' });
  expect(results[1]).toMatchObject({ status: 'permanent', code: 'BIGQUERY_ROW_invalid', message: expect.stringContaining('Invalid value for order_id') });
});

test('sends at most 500 rows per insertAll request', async () => {
  const { bq, harness } = fakeBigQuery();
  const events = Array.from({ length: 600 }, (_, i) => buildIdentify({ messageId: `id-${i}`, traits: { plan: 'pro' } }));
  // The runtime hands the connector at most batch.maxItems (500) events per call.
  const { results } = await harness.run(events);
  expect(results.every((r) => r.status === 'ok')).toBe(true);
  expect(bq.inserts.filter((i) => i.table === 'identifies').map((i) => i.body.rows.length)).toEqual([500, 100]);
});

describe('errors', () => {
  test('401 is an authentication failure', async () => {
    const {
      results: [result],
    } = await answeringQueries({
      status: 401,
      body: { error: { code: 401, message: 'Request had invalid authentication credentials.', status: 'UNAUTHENTICATED' } },
    }).run(event());
    expect(result).toMatchObject({ status: 'authentication', httpStatus: 401, message: expect.stringContaining('settings.serviceAccountKey') });
  });

  test('403 rateLimitExceeded is rate limited, other 403s are authentication', async () => {
    const limited = answeringQueries({
      status: 403,
      body: { error: { code: 403, message: 'Exceeded rate limits', errors: [{ reason: 'rateLimitExceeded' }] } },
    });
    expect((await limited.run(event())).results[0]).toMatchObject({ status: 'rate_limited', code: 'BIGQUERY_rateLimitExceeded' });
    const denied = answeringQueries({
      status: 403,
      body: { error: { code: 403, message: 'Access Denied: Dataset acme-analytics:switchyard', errors: [{ reason: 'accessDenied' }] } },
    });
    expect((await denied.run(event())).results[0]).toMatchObject({ status: 'authentication', message: expect.stringContaining('Data Editor') });
  });

  test('a missing dataset is permanent and says what to create', async () => {
    const {
      results: [result],
    } = await answeringQueries({
      status: 404,
      body: { error: { code: 404, message: 'Not found: Dataset acme-analytics:switchyard', errors: [{ reason: 'notFound' }] } },
    }).run(event());
    expect(result).toMatchObject({ status: 'permanent', message: expect.stringContaining('create the dataset') });
  });

  test('a refused service account is an authentication failure that does not leak the key', async () => {
    const {
      requests,
      results: [result],
      logs,
    } = await connect()
      .intercept('oauth2.googleapis.com', () => ({ status: 400, body: { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' } }))
      .run(event());
    expect(requests.map((r) => r.url)).toEqual(['https://oauth2.googleapis.com/token']);
    expect(result).toMatchObject({ status: 'authentication', code: 'BIGQUERY_TOKEN_REFUSED', message: expect.stringContaining('Invalid JWT Signature') });
    expect(JSON.stringify(result)).not.toContain(PRIVATE_KEY_PEM.split('\n')[1]);
    expect(logs.join('\n')).not.toContain(PRIVATE_KEY_PEM.split('\n')[1]);
  });

  test('a key that is not a service-account key is an authentication failure naming the setting', async () => {
    const {
      requests,
      results: [result],
    } = await connect({ serviceAccountKey: '{"type":"authorized_user"}' }).run(event());
    expect(requests).toEqual([]);
    expect(result).toMatchObject({ status: 'authentication', message: expect.stringContaining('settings.serviceAccountKey') });
  });
});

test('erasure runs a parameterised DML DELETE on every table with user columns', async () => {
  const { bq, harness } = fakeBigQuery();
  expect((await harness.run(event({ messageId: 'm-1', anonymousId: 'anon-1' }))).results).toEqual([{ status: 'ok' }]);
  expect((await harness.runDelete({ user_id: 'user-1', anonymous_id: 'anon-1' })).result).toEqual({ status: 'ok' });
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

test('erasure by email alone, in any case, finds the user and anonymous ids recorded with it and deletes their rows too', async () => {
  const { bq, harness } = fakeBigQuery({ idsByEmail: { 'jane@example.com': [{ user_id: 'user-9', anonymous_id: 'anon-9' }] } });
  const loaded = await harness.run([
    buildIdentify({ messageId: 'm-id', userId: 'user-9', anonymousId: 'anon-9', traits: { email: 'jane@example.com' } }),
    event({ messageId: 'm-t', userId: 'user-9' }),
  ]);
  expect(loaded.results).toEqual([{ status: 'ok' }, { status: 'ok' }]);
  expect((await harness.runDelete({ email: ' Jane@Example.COM ' })).result).toEqual({ status: 'ok' });
  const lookup = bq.queries.find((q) => q.query.startsWith('SELECT DISTINCT'))!;
  expect(lookup.query).toBe('SELECT DISTINCT `user_id`, `anonymous_id` FROM `acme-analytics.switchyard.identifies` WHERE lower(trim(`email`)) IN UNNEST(@v0)');
  expect(JSON.stringify(lookup.queryParameters)).toContain('"jane@example.com"');
  const tracksDelete = bq.queries.find((q) => q.query.startsWith('DELETE FROM `acme-analytics.switchyard.tracks`'))!;
  expect(tracksDelete.query).toBe('DELETE FROM `acme-analytics.switchyard.tracks` WHERE `user_id` IN UNNEST(@v0) OR `anonymous_id` IN UNNEST(@v1)');
  expect(JSON.stringify(tracksDelete.queryParameters)).toContain('user-9');
  const identifiesDelete = bq.queries.find((q) => q.query.startsWith('DELETE FROM `acme-analytics.switchyard.identifies`'))!;
  expect(identifiesDelete.query).toContain('lower(trim(`email`)) IN UNNEST(@v2)');
});

test('DML blocked by the streaming buffer is retried later, not given up', async () => {
  const { requests, result } = await answeringQueries(
    {
      body: {
        jobComplete: true,
        schema: { fields: [{ name: 'table_name' }, { name: 'column_name' }, { name: 'data_type' }] },
        rows: [{ f: [{ v: 'tracks' }, { v: 'user_id' }, { v: 'STRING' }] }],
      },
    },
    {
      status: 400,
      body: {
        error: {
          code: 400,
          message: 'UPDATE or DELETE statement over table acme-analytics.switchyard.tracks would affect rows in the streaming buffer, which is not supported',
          errors: [{ reason: 'invalidQuery' }],
        },
      },
    },
  ).runDelete({ user_id: 'user-1' });
  expect(requests.filter((r) => r.url === QUERIES)).toHaveLength(2);
  expect(result).toMatchObject({ status: 'retryable', code: 'BIGQUERY_STREAMING_BUFFER', retryAfterMs: 1_800_000 });
});

describe('profile ids', () => {
  // Profile ids are signed 64-bit integers written as decimal strings.
  const PROFILE = '-4512889312377821203';
  const insertedInto = (bq: ReturnType<typeof fakeBigQuery>['bq'], table: string) => bq.inserts.filter((i) => i.table === table).flatMap((i) => i.body.rows);

  test("tables get a profile_id STRING column and every streamed row carries the event's profile id", async () => {
    const { bq, harness } = fakeBigQuery();
    expect((await harness.run([event({ messageId: 'm-p', profileId: PROFILE }), event({ messageId: 'm-none' })])).results).toEqual([
      { status: 'ok' },
      { status: 'ok' },
    ]);
    for (const table of ['tracks', 'order_completed']) {
      expect([table, bq.tables.get(table)!.get('profile_id')]).toEqual([table, 'STRING']);
      expect([table, insertedInto(bq, table).map((r) => [r.insertId, r.json.profile_id])]).toEqual([
        table,
        [
          ['m-p', PROFILE],
          ['m-none', undefined],
        ],
      ]);
    }
  });

  test('tables created before profile_id existed get it with ALTER TABLE … ADD COLUMN and are never re-created or emptied', async () => {
    const { bq, harness } = fakeBigQuery();
    const common: Array<[string, string]> = [
      ...['id', 'user_id', 'anonymous_id', 'source_id', 'event', 'event_text'].map((c): [string, string] => [c, 'STRING']),
      ...['received_at', 'timestamp', 'sent_at', 'original_timestamp', 'loaded_at'].map((c): [string, string] => [c, 'TIMESTAMP']),
    ];
    // The tables as the previous version created them: common columns without profile_id.
    bq.tables.set('tracks', new Map(common));
    bq.tables.set('order_completed', new Map([...common, ['item_count', 'INT64']]));
    bq.tables.set(
      'discards',
      new Map(
        ['message_id', 'table_name', 'column_name', 'value', 'reason', 'user_id', 'anonymous_id', 'received_at', 'discarded_at'].map((c) => [
          c,
          c.endsWith('_at') ? 'TIMESTAMP' : 'STRING',
        ]),
      ),
    );
    expect((await harness.run({ ...event({ messageId: 'm-new', profileId: PROFILE }), properties: { itemCount: 'many' } })).results).toEqual([
      { status: 'ok' },
    ]);

    // The old tables only gain columns: nothing creates, replaces, drops or empties them.
    const ddl = bq.queries.map((q) => q.query).filter((q) => !q.startsWith('SELECT'));
    expect(ddl.filter((q) => !/^ALTER TABLE `[^`]+` ADD COLUMN IF NOT EXISTS /.test(q))).toEqual([]);
    for (const table of ['tracks', 'order_completed', 'discards']) {
      expect(ddl.find((q) => q.startsWith(`ALTER TABLE \`acme-analytics.switchyard.${table}\``))).toContain('ADD COLUMN IF NOT EXISTS `profile_id` STRING');
      expect([table, bq.tables.get(table)!.get('profile_id')]).toEqual([table, 'STRING']);
    }
    expect(insertedInto(bq, 'tracks').map((r) => r.json.profile_id)).toEqual([PROFILE]);
    expect(insertedInto(bq, 'discards')).toEqual([
      { insertId: 'm-new:order_completed:item_count', json: expect.objectContaining({ message_id: 'm-new', value: 'many', profile_id: PROFILE }) },
    ]);
  });

  test('erasure by profile id alone deletes by `profile_id` only, on every table that has the column', async () => {
    const { bq, harness } = fakeBigQuery();
    expect((await harness.run(event({ profileId: PROFILE }))).results).toEqual([{ status: 'ok' }]);
    // A table no event has been written to since the upgrade: it has no profile_id, so it holds no profile's rows.
    bq.tables.set(
      'pages',
      new Map([
        ['id', 'STRING'],
        ['user_id', 'STRING'],
      ]),
    );
    expect((await harness.runDelete({ profile_id: PROFILE })).result).toEqual({ status: 'ok' });
    const deletes = bq.queries.filter((q) => q.query.startsWith('DELETE'));
    expect(deletes.map((d) => d.query).sort()).toEqual([
      'DELETE FROM `acme-analytics.switchyard.order_completed` WHERE `profile_id` IN UNNEST(@v0)',
      'DELETE FROM `acme-analytics.switchyard.tracks` WHERE `profile_id` IN UNNEST(@v0)',
    ]);
    for (const d of deletes) {
      expect(d.queryParameters).toEqual([
        { name: 'v0', parameterType: { type: 'ARRAY', arrayType: { type: 'STRING' } }, parameterValue: { arrayValues: [{ value: PROFILE }] } },
      ]);
    }
  });

  test('export by profile id selects the rows whose profile_id matches and returns them', async () => {
    const { state: bq, respond } = createFakeBigQuery();
    const harness = connect().respond((request) => {
      const body = request.body as { query?: string } | undefined;
      if (!body?.query?.startsWith('SELECT * FROM `acme-analytics.switchyard.tracks`')) return respond(request);
      bq.queries.push(body as { query: string });
      const rows = [{ f: [{ v: 'm-p' }, { v: PROFILE }] }];
      return { status: 200, body: { jobComplete: true, schema: { fields: [{ name: 'id' }, { name: 'profile_id' }] }, rows } };
    });
    expect((await harness.run(event({ messageId: 'm-p', profileId: PROFILE }))).results).toEqual([{ status: 'ok' }]);
    const { result, records } = await harness.runExport({ profile_id: PROFILE });
    expect(result).toEqual({ status: 'ok' });
    const selects = bq.queries.filter((q) => q.query.startsWith('SELECT * FROM'));
    expect(selects.map((s) => s.query).sort()).toEqual([
      'SELECT * FROM `acme-analytics.switchyard.order_completed` WHERE `profile_id` IN UNNEST(@v0)',
      'SELECT * FROM `acme-analytics.switchyard.tracks` WHERE `profile_id` IN UNNEST(@v0)',
    ]);
    expect(JSON.stringify(selects.map((s) => s.queryParameters))).not.toContain('user-1');
    expect(records).toEqual([{ source: 'tracks', data: { id: 'm-p', profile_id: PROFILE } }]);
  });
});
