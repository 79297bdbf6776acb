import { createServer } from 'node:net';
import pg from 'pg';
import { checkManifest, type CanonicalEvent } from '@switchyard/sdk-kit';
import connector, { closeWarehouses } from '../src/index.js';
import { buildIdentify, buildPage, buildTrack, createTestHarness, type EventOverrides } from '@switchyard/sdk-kit/testing';
import { randomSchema, server } from './helpers.js';

const schema = randomSchema();
const settings = { ...server, schema };
const admin = new pg.Pool({ ...server, max: 2 });

const query = async (sql: string, params: unknown[] = []) => (await admin.query(sql, params)).rows;
const columnsOf = async (table: string) =>
  Object.fromEntries(
    (await query('SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2', [schema, table])).map((r) => [
      r.column_name,
      r.data_type,
    ]),
  );

/** Schemas a test set up by hand, dropped with the main one. */
const otherSchemas: string[] = [];

afterAll(async () => {
  await closeWarehouses();
  for (const name of [schema, ...otherSchemas]) await admin.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
  await admin.end();
});

/** A connection to the test schema, run in this thread by the harness; `connectionId` keeps a connection's pool apart. */
const warehouse = (extra: Record<string, unknown> = {}, connectionId?: string) =>
  createTestHarness(connector, { settings: { ...settings, ...extra }, connectionId });
const load = async (events: CanonicalEvent[], extra?: Record<string, unknown>, connectionId?: string) =>
  (await warehouse(extra, connectionId).run(events)).results;

const purchase = (messageId: string, properties: Record<string, unknown>, extra: EventOverrides = {}) =>
  buildTrack({ messageId, event: 'Order Completed', properties, ...extra });

test("the manifest passes the router's checks", () => {
  expect(checkManifest(connector)).toEqual([]);
});

test('settings without a connection string or a host are refused with a clear message', () => {
  expect(() => createTestHarness(connector, { settings: { database: 'test' } })).toThrow(/connectionString|host/);
});

test('loads a batch into tracks, a table per event name and identifies, with inferred column types', async () => {
  const results = await load([
    purchase(
      'm-1',
      { orderId: 'o-1', revenue: 59.9, itemCount: 2, giftWrap: false, paidAt: '2026-11-20T09:59:00Z', items: [{ sku: 'a' }] },
      { context: { page: { url: 'https://shop.example/checkout' } } },
    ),
    purchase('m-2', { orderId: 'o-2', revenue: 10, itemCount: 1 }),
    buildIdentify({ messageId: 'm-3', traits: { email: 'jane@example.com', plan: 'pro', address: { city: 'Paris' } } }),
  ]);
  expect(results).toEqual([{ status: 'ok' }, { status: 'ok' }, { status: 'ok' }]);

  const orders = await query(
    `SELECT id, order_id, revenue, item_count, gift_wrap, paid_at, items, event, event_text, context_page_url FROM "${schema}".order_completed ORDER BY id`,
  );
  expect(orders).toEqual([
    {
      id: 'm-1',
      order_id: 'o-1',
      revenue: 59.9,
      item_count: '2',
      gift_wrap: false,
      paid_at: new Date('2026-11-20T09:59:00Z'),
      items: [{ sku: 'a' }],
      event: 'order_completed',
      event_text: 'Order Completed',
      context_page_url: 'https://shop.example/checkout',
    },
    {
      id: 'm-2',
      order_id: 'o-2',
      revenue: 10,
      item_count: '1',
      gift_wrap: null,
      paid_at: null,
      items: null,
      event: 'order_completed',
      event_text: 'Order Completed',
      context_page_url: null,
    },
  ]);
  expect(await columnsOf('order_completed')).toMatchObject({
    id: 'text',
    order_id: 'text',
    revenue: 'double precision',
    item_count: 'bigint',
    gift_wrap: 'boolean',
    paid_at: 'timestamp with time zone',
    items: 'jsonb',
    received_at: 'timestamp with time zone',
  });
  expect(await query(`SELECT id, event FROM "${schema}".tracks ORDER BY id`)).toEqual([
    { id: 'm-1', event: 'order_completed' },
    { id: 'm-2', event: 'order_completed' },
  ]);
  const tracksColumns = await columnsOf('tracks');
  expect(tracksColumns.revenue).toBeUndefined();
  expect(await query(`SELECT id, email, plan, address_city, user_id FROM "${schema}".identifies`)).toEqual([
    { id: 'm-3', email: 'jane@example.com', plan: 'pro', address_city: 'Paris', user_id: 'user-1' },
  ]);
});

test('re-delivering the same messages adds no rows', async () => {
  const harness = warehouse();
  const batch = [purchase('m-dup-1', { orderId: 'x' }), purchase('m-dup-2', { orderId: 'y' })];
  expect((await harness.run(batch)).results).toEqual([{ status: 'ok' }, { status: 'ok' }]);
  expect((await harness.run([...batch, batch[0]!])).results).toEqual([{ status: 'ok' }, { status: 'ok' }, { status: 'ok' }]);
  const [{ count }] = await query(`SELECT count(*)::int AS count FROM "${schema}".order_completed WHERE id LIKE 'm-dup-%'`);
  expect(count).toBe(2);
  const [{ tracks }] = await query(`SELECT count(*)::int AS tracks FROM "${schema}".tracks WHERE id LIKE 'm-dup-%'`);
  expect(tracks).toBe(2);
});

test('a new property adds a column and leaves earlier rows null there', async () => {
  expect((await columnsOf('order_completed')).coupon_code).toBeUndefined();
  expect(await load([purchase('m-new-col', { couponCode: 'WINTER' })])).toEqual([{ status: 'ok' }]);
  expect((await columnsOf('order_completed')).coupon_code).toBe('text');
  expect(await query(`SELECT id, coupon_code FROM "${schema}".order_completed WHERE id IN ('m-1', 'm-new-col') ORDER BY id`)).toEqual([
    { id: 'm-1', coupon_code: null },
    { id: 'm-new-col', coupon_code: 'WINTER' },
  ]);
});

test('a value that does not fit its column goes to discards, the column keeps its type and the event succeeds', async () => {
  const results = await load([purchase('m-mismatch', { orderId: 'o-9', itemCount: 'several' })]);
  expect(results).toEqual([{ status: 'ok' }]);
  expect((await columnsOf('order_completed')).item_count).toBe('bigint');
  expect(await query(`SELECT order_id, item_count FROM "${schema}".order_completed WHERE id = 'm-mismatch'`)).toEqual([{ order_id: 'o-9', item_count: null }]);
  const discards = await query(`SELECT table_name, column_name, value, reason, message_id, user_id FROM "${schema}".discards`);
  expect(discards).toEqual([
    {
      table_name: 'order_completed',
      column_name: 'item_count',
      value: 'several',
      message_id: 'm-mismatch',
      user_id: 'user-1',
      reason: 'type mismatch: the column is bigint, the value is text',
    },
  ]);
  // Re-delivery does not duplicate the discard either.
  expect(await load([purchase('m-mismatch', { orderId: 'o-9', itemCount: 'several' })])).toEqual([{ status: 'ok' }]);
  expect(await query(`SELECT count(*)::int AS n FROM "${schema}".discards`)).toEqual([{ n: 1 }]);
});

test("erasure deletes the user's rows from every table, discards included, and keeps other users'", async () => {
  const harness = warehouse();
  const loaded = await harness.run([
    purchase('m-erase-1', { orderId: 'e-1', itemCount: 'many' }, { userId: 'user-erase', anonymousId: 'anon-erase' }),
    buildPage({ messageId: 'm-erase-2', event: 'Home', userId: undefined, anonymousId: 'anon-erase' }),
    buildIdentify({ messageId: 'm-erase-3', userId: 'user-erase', traits: { email: 'erase@example.com' } }),
    purchase('m-keep', { orderId: 'k-1' }, { userId: 'user-keep', anonymousId: 'anon-keep' }),
  ]);
  expect(loaded.results.map((r) => r.status)).toEqual(['ok', 'ok', 'ok', 'ok']);
  const countFor = async (table: string, ids: string[]) =>
    (await query(`SELECT count(*)::int AS n FROM "${schema}".${table} WHERE user_id = ANY($1) OR anonymous_id = ANY($2)`, [ids, ids]))[0].n;
  expect(await countFor('discards', ['user-erase'])).toBe(1);

  expect((await harness.runDelete({ user_id: 'user-erase', anonymous_id: 'anon-erase' })).result).toEqual({ status: 'ok' });

  for (const table of ['tracks', 'order_completed', 'pages', 'identifies', 'discards']) {
    expect([table, await countFor(table, ['user-erase', 'anon-erase'])]).toEqual([table, 0]);
  }
  expect(await countFor('order_completed', ['user-keep'])).toBe(1);
});

test('erasure by email alone also removes the events of the user ids recorded with that email', async () => {
  const harness = warehouse();
  const loaded = await harness.run([
    buildIdentify({ messageId: 'm-mail-1', userId: 'user-mail', anonymousId: 'anon-mail', traits: { email: 'mail@example.com' } }),
    purchase('m-mail-2', { orderId: 'mail-1' }, { userId: 'user-mail', anonymousId: 'anon-mail' }),
    purchase('m-mail-3', { orderId: 'mail-2' }, { userId: undefined, anonymousId: 'anon-mail' }),
  ]);
  expect(loaded.results.map((r) => r.status)).toEqual(['ok', 'ok', 'ok']);
  expect((await harness.runDelete({ email: 'mail@example.com' })).result).toEqual({ status: 'ok' });
  for (const table of ['identifies', 'tracks', 'order_completed']) {
    const [{ n }] = await query(`SELECT count(*)::int AS n FROM "${schema}".${table} WHERE id LIKE 'm-mail-%'`);
    expect([table, n]).toEqual([table, 0]);
  }
});

test('erasure by email ignores case and surrounding spaces, in the lookup of ids and in the email column', async () => {
  const harness = warehouse();
  const loaded = await harness.run([
    buildIdentify({ messageId: 'm-case-1', userId: 'user-case', anonymousId: 'anon-case', traits: { email: ' Ada@Example.com' } }),
    purchase('m-case-2', { orderId: 'case-1' }, { userId: 'user-case', anonymousId: undefined }),
    purchase('m-case-3', { orderId: 'case-2' }, { userId: 'user-other', anonymousId: 'anon-other' }),
  ]);
  expect(loaded.results.map((r) => r.status)).toEqual(['ok', 'ok', 'ok']);
  expect((await harness.runDelete({ email: 'ada@EXAMPLE.com ' })).result).toEqual({ status: 'ok' });
  const left = await query(
    `SELECT id FROM "${schema}".tracks WHERE id LIKE 'm-case-%' UNION ALL SELECT id FROM "${schema}".identifies WHERE id LIKE 'm-case-%'`,
  );
  expect(left).toEqual([{ id: 'm-case-3' }]);
});

test('export reads back every row erasure would delete, from every table, as JSON-safe records', async () => {
  const harness = warehouse();
  const loaded = await harness.run([
    buildIdentify({ messageId: 'm-exp-1', userId: 'user-exp', anonymousId: 'anon-exp', traits: { email: 'Exp@Example.com', visits: 3 } }),
    purchase('m-exp-2', { orderId: 'exp-1', revenue: 12.5 }, { userId: 'user-exp', anonymousId: undefined }),
    purchase('m-exp-3', { orderId: 'exp-2' }, { userId: 'user-not-me', anonymousId: 'anon-not-me' }),
  ]);
  expect(loaded.results.map((r) => r.status)).toEqual(['ok', 'ok', 'ok']);
  const { result, records } = await harness.runExport({ email: 'exp@example.com' });
  expect(result).toEqual({ status: 'ok' });
  const found = records
    .filter((r) => String(r.data.id).startsWith('m-exp-'))
    .map((r) => [r.source, r.data.id])
    .sort();
  expect(found).toEqual([
    ['identifies', 'm-exp-1'],
    ['order_completed', 'm-exp-2'],
    ['tracks', 'm-exp-2'],
  ]);
  const identify = records.find((r) => r.source === 'identifies' && r.data.id === 'm-exp-1')!;
  // pg reads bigint as text so no digit is lost.
  expect(identify.data).toMatchObject({ user_id: 'user-exp', email: 'Exp@Example.com', visits: '3', timestamp: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/) });
  expect(JSON.parse(JSON.stringify(records))).toEqual(records);
});

describe('profile ids', () => {
  // Profile ids are signed 64-bit integers written as decimal strings.
  const PROFILE = '-4512889312377821203';
  const OTHER_PROFILE = '7305816447411432790';

  test("every row carries the event's profile id in a text profile_id column; events without one leave it null", async () => {
    const results = await load([
      purchase('m-prof-1', { orderId: 'p-1' }, { profileId: PROFILE }),
      buildIdentify({ messageId: 'm-prof-2', profileId: PROFILE }),
      purchase('m-prof-3', { orderId: 'p-3' }),
    ]);
    expect(results).toEqual([{ status: 'ok' }, { status: 'ok' }, { status: 'ok' }]);
    for (const table of ['tracks', 'order_completed', 'identifies']) expect([table, (await columnsOf(table)).profile_id]).toEqual([table, 'text']);
    expect(await query(`SELECT id, profile_id FROM "${schema}".order_completed WHERE id LIKE 'm-prof-%' ORDER BY id`)).toEqual([
      { id: 'm-prof-1', profile_id: PROFILE },
      { id: 'm-prof-3', profile_id: null },
    ]);
    expect(await query(`SELECT id, profile_id FROM "${schema}".tracks WHERE id LIKE 'm-prof-%' ORDER BY id`)).toEqual([
      { id: 'm-prof-1', profile_id: PROFILE },
      { id: 'm-prof-3', profile_id: null },
    ]);
    expect(await query(`SELECT profile_id FROM "${schema}".identifies WHERE id = 'm-prof-2'`)).toEqual([{ profile_id: PROFILE }]);
  });

  test('tables created before profile_id existed get the column on their next write and keep their rows, discards included', async () => {
    const old = randomSchema();
    otherSchemas.push(old);
    // The tables as the previous version created them: common columns without profile_id.
    const common =
      'id text NOT NULL PRIMARY KEY, received_at timestamptz, "timestamp" timestamptz, sent_at timestamptz, original_timestamp timestamptz, loaded_at timestamptz, user_id text, anonymous_id text, source_id text, event text, event_text text';
    await query(`CREATE SCHEMA "${old}"`);
    await query(`CREATE TABLE "${old}".tracks (${common})`);
    await query(`CREATE TABLE "${old}".order_completed (${common}, item_count bigint)`);
    await query(
      `CREATE TABLE "${old}".discards (message_id text NOT NULL, table_name text NOT NULL, column_name text NOT NULL, value text, reason text, user_id text, anonymous_id text, received_at timestamptz, discarded_at timestamptz, PRIMARY KEY (message_id, table_name, column_name))`,
    );
    await query(`INSERT INTO "${old}".tracks (id, user_id, event) VALUES ('m-old', 'user-old', 'order_completed')`);
    await query(`INSERT INTO "${old}".order_completed (id, user_id, event, item_count) VALUES ('m-old', 'user-old', 'order_completed', 3)`);
    await query(
      `INSERT INTO "${old}".discards (message_id, table_name, column_name, value, user_id) VALUES ('m-old', 'order_completed', 'x', 'y', 'user-old')`,
    );

    const results = await load([purchase('m-new', { itemCount: 'several' }, { profileId: PROFILE })], { schema: old }, 'conn-old-tables');
    expect(results).toEqual([{ status: 'ok' }]);

    for (const table of ['tracks', 'order_completed', 'discards']) {
      const [{ data_type }] = await query('SELECT data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 AND column_name = $3', [
        old,
        table,
        'profile_id',
      ]);
      expect([table, data_type]).toEqual([table, 'text']);
    }
    expect(await query(`SELECT id, user_id, profile_id, item_count FROM "${old}".order_completed ORDER BY id`)).toEqual([
      { id: 'm-new', user_id: 'user-1', profile_id: PROFILE, item_count: null },
      { id: 'm-old', user_id: 'user-old', profile_id: null, item_count: '3' },
    ]);
    expect(await query(`SELECT id, profile_id FROM "${old}".tracks ORDER BY id`)).toEqual([
      { id: 'm-new', profile_id: PROFILE },
      { id: 'm-old', profile_id: null },
    ]);
    expect(await query(`SELECT message_id, column_name, profile_id FROM "${old}".discards ORDER BY message_id`)).toEqual([
      { message_id: 'm-new', column_name: 'item_count', profile_id: PROFILE },
      { message_id: 'm-old', column_name: 'x', profile_id: null },
    ]);
  });

  test("erasure by profile id alone deletes that person's rows from every table, whatever user id they carry, and no one else's", async () => {
    const harness = warehouse();
    const loaded = await harness.run([
      purchase('m-perase-1', { orderId: 'pe-1', itemCount: 'many' }, { userId: 'user-perase-a', anonymousId: 'anon-perase-a', profileId: PROFILE }),
      buildPage({ messageId: 'm-perase-2', event: 'Home', userId: undefined, anonymousId: 'anon-perase-b', profileId: PROFILE }),
      buildIdentify({ messageId: 'm-perase-3', userId: 'user-perase-c', anonymousId: undefined, profileId: PROFILE }),
      purchase('m-perase-keep-1', { orderId: 'keep-1', itemCount: 'few' }, { userId: 'user-perase-d', anonymousId: 'anon-perase-d', profileId: OTHER_PROFILE }),
      purchase('m-perase-keep-2', { orderId: 'keep-2' }, { userId: 'user-perase-e', anonymousId: 'anon-perase-e' }),
    ]);
    expect(loaded.results.map((r) => r.status)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
    const idsIn = async (table: string, key = 'id') =>
      (await query(`SELECT ${key} AS id FROM "${schema}".${table} WHERE ${key} LIKE 'm-perase-%' ORDER BY 1`)).map((r) => r.id);
    expect(await idsIn('discards', 'message_id')).toEqual(['m-perase-1', 'm-perase-keep-1']);

    expect((await harness.runDelete({ profile_id: PROFILE })).result).toEqual({ status: 'ok' });

    expect(await idsIn('tracks')).toEqual(['m-perase-keep-1', 'm-perase-keep-2']);
    expect(await idsIn('order_completed')).toEqual(['m-perase-keep-1', 'm-perase-keep-2']);
    expect(await idsIn('pages')).toEqual([]);
    expect(await idsIn('identifies')).toEqual([]);
    expect(await idsIn('discards', 'message_id')).toEqual(['m-perase-keep-1']);
  });

  test("export by profile id alone reads back every row of that person and none of anyone else's", async () => {
    const exported = '1152921504606846976';
    const harness = warehouse();
    const loaded = await harness.run([
      purchase('m-pexp-1', { orderId: 'px-1' }, { userId: 'user-pexp-a', profileId: exported }),
      buildIdentify({ messageId: 'm-pexp-2', userId: 'user-pexp-b', anonymousId: undefined, profileId: exported }),
      purchase('m-pexp-3', { orderId: 'px-3' }, { userId: 'user-pexp-c', anonymousId: 'anon-pexp-c', profileId: OTHER_PROFILE }),
    ]);
    expect(loaded.results.map((r) => r.status)).toEqual(['ok', 'ok', 'ok']);
    const { result, records } = await harness.runExport({ profile_id: exported });
    expect(result).toEqual({ status: 'ok' });
    expect(records.map((r) => [r.source, r.data.id, r.data.profile_id]).sort()).toEqual([
      ['identifies', 'm-pexp-2', exported],
      ['order_completed', 'm-pexp-1', exported],
      ['tracks', 'm-pexp-1', exported],
    ]);
  });
});

test('NUL characters, which PostgreSQL text cannot hold, are dropped instead of failing the event', async () => {
  const results = await load([purchase('m-nul', { orderId: 'o-\u0000-1', meta: ['a\u0000b'] })]);
  expect(results).toEqual([{ status: 'ok' }]);
  expect(await query(`SELECT order_id, meta FROM "${schema}".order_completed WHERE id = 'm-nul'`)).toEqual([{ order_id: 'o--1', meta: ['ab'] }]);
});

test('a refused connection is retryable', async () => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const { port } = closed.address() as { port: number };
  await new Promise((resolve) => closed.close(resolve));
  const [result] = await load([purchase('m-refused', {})], { port }, 'conn-refused');
  expect(result).toMatchObject({ status: 'retryable', code: 'NETWORK_ECONNREFUSED' });
});

test('an unknown role or database is an authentication failure naming the setting to fix', async () => {
  const [badUser] = await load([purchase('m-u', {})], { user: 'no_such_role_sy' }, 'conn-bad-user');
  expect(badUser).toMatchObject({ status: 'authentication', code: 'PG_28000' });
  expect(badUser!.message).toMatch(/settings\.user/);
  const [badDb] = await load([purchase('m-d', {})], { database: 'no_such_db_sy' }, 'conn-bad-db');
  expect(badDb).toMatchObject({ status: 'authentication', code: 'PG_3D000' });
  expect(badDb!.message).toMatch(/settings\.database/);
});

test('the password never appears in an error message', async () => {
  const secret = 'S3cr3t-pass-word';
  const harness = createTestHarness(connector, {
    settings: { connectionString: `postgres://no_such_role_sy:${secret}@${server.host}:${server.port}/${server.database}`, schema },
    connectionId: 'conn-secret',
  });
  const {
    results: [result],
    logs,
  } = await harness.run([purchase('m-s', {})]);
  expect(result!.status).toBe('authentication');
  expect(JSON.stringify(result)).not.toContain(secret);
  expect(logs.join('\n')).not.toContain(secret);
});
