import { createServer } from 'node:net';
import pg from 'pg';
import { checkManifest } from '@switchyard/sdk-kit';
import connector, { closeWarehouses } from '../src/index.js';
import { connect, makeEvent, randomSchema, run, runDelete } from './helpers.js';

const server = {
  host: process.env.PGHOST ?? '127.0.0.1',
  port: Number(process.env.PGPORT ?? 5432),
  user: process.env.PGUSER ?? 'postgres',
  database: process.env.PGDATABASE ?? 'test',
};
const schema = randomSchema();
const settings = { ...server, schema };
const admin = new pg.Pool({ ...server, max: 2 });

const query = async (sql: string, params: unknown[] = []) => (await admin.query(sql, params)).rows;
const columnsOf = async (table: string) => Object.fromEntries((await query(
  'SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2', [schema, table],
)).map((r) => [r.column_name, r.data_type]));

afterAll(async () => {
  await closeWarehouses();
  await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await admin.end();
});

const purchase = (messageId: string, properties: Record<string, unknown>, extra = {}) =>
  makeEvent({ messageId, properties, ...extra });

test('the manifest passes the router\'s checks', () => {
  expect(checkManifest(connector)).toEqual([]);
});

test('settings without a connection string or a host are refused with a clear message', () => {
  expect(() => connect(connector, { database: 'test' })).toThrow(/connectionString|host/);
});

test('loads a batch into tracks, a table per event name and identifies, with inferred column types', async () => {
  const prepared = connect(connector, settings);
  const results = await run(prepared, [
    purchase('m-1', { orderId: 'o-1', revenue: 59.9, itemCount: 2, giftWrap: false, paidAt: '2026-11-20T09:59:00Z', items: [{ sku: 'a' }] },
      { context: { page: { url: 'https://shop.example/checkout' } } }),
    purchase('m-2', { orderId: 'o-2', revenue: 10, itemCount: 1 }),
    makeEvent({ messageId: 'm-3', type: 'identify', event: undefined, traits: { email: 'jane@example.com', plan: 'pro', address: { city: 'Paris' } } }),
  ]);
  expect(results).toEqual([{ status: 'ok' }, { status: 'ok' }, { status: 'ok' }]);

  const orders = await query(`SELECT id, order_id, revenue, item_count, gift_wrap, paid_at, items, event, event_text, context_page_url FROM "${schema}".order_completed ORDER BY id`);
  expect(orders).toEqual([
    { id: 'm-1', order_id: 'o-1', revenue: 59.9, item_count: '2', gift_wrap: false, paid_at: new Date('2026-11-20T09:59:00Z'), items: [{ sku: 'a' }], event: 'order_completed', event_text: 'Order Completed', context_page_url: 'https://shop.example/checkout' },
    { id: 'm-2', order_id: 'o-2', revenue: 10, item_count: '1', gift_wrap: null, paid_at: null, items: null, event: 'order_completed', event_text: 'Order Completed', context_page_url: null },
  ]);
  expect(await columnsOf('order_completed')).toMatchObject({
    id: 'text', order_id: 'text', revenue: 'double precision', item_count: 'bigint', gift_wrap: 'boolean',
    paid_at: 'timestamp with time zone', items: 'jsonb', received_at: 'timestamp with time zone',
  });
  expect(await query(`SELECT id, event FROM "${schema}".tracks ORDER BY id`)).toEqual([
    { id: 'm-1', event: 'order_completed' }, { id: 'm-2', event: 'order_completed' },
  ]);
  const tracksColumns = await columnsOf('tracks');
  expect(tracksColumns.revenue).toBeUndefined();
  expect(await query(`SELECT id, email, plan, address_city, user_id FROM "${schema}".identifies`)).toEqual([
    { id: 'm-3', email: 'jane@example.com', plan: 'pro', address_city: 'Paris', user_id: 'user-1' },
  ]);
});

test('re-delivering the same messages adds no rows', async () => {
  const prepared = connect(connector, settings);
  const batch = [purchase('m-dup-1', { orderId: 'x' }), purchase('m-dup-2', { orderId: 'y' })];
  expect(await run(prepared, batch)).toEqual([{ status: 'ok' }, { status: 'ok' }]);
  expect(await run(prepared, [...batch, batch[0]!])).toEqual([{ status: 'ok' }, { status: 'ok' }, { status: 'ok' }]);
  const [{ count }] = await query(`SELECT count(*)::int AS count FROM "${schema}".order_completed WHERE id LIKE 'm-dup-%'`);
  expect(count).toBe(2);
  const [{ tracks }] = await query(`SELECT count(*)::int AS tracks FROM "${schema}".tracks WHERE id LIKE 'm-dup-%'`);
  expect(tracks).toBe(2);
});

test('a new property adds a column and leaves earlier rows null there', async () => {
  const prepared = connect(connector, settings);
  expect((await columnsOf('order_completed')).coupon_code).toBeUndefined();
  expect(await run(prepared, [purchase('m-new-col', { couponCode: 'WINTER' })])).toEqual([{ status: 'ok' }]);
  expect((await columnsOf('order_completed')).coupon_code).toBe('text');
  expect(await query(`SELECT id, coupon_code FROM "${schema}".order_completed WHERE id IN ('m-1', 'm-new-col') ORDER BY id`)).toEqual([
    { id: 'm-1', coupon_code: null }, { id: 'm-new-col', coupon_code: 'WINTER' },
  ]);
});

test('a value that does not fit its column goes to discards, the column keeps its type and the event succeeds', async () => {
  const prepared = connect(connector, settings);
  const results = await run(prepared, [purchase('m-mismatch', { orderId: 'o-9', itemCount: 'several' })]);
  expect(results).toEqual([{ status: 'ok' }]);
  expect((await columnsOf('order_completed')).item_count).toBe('bigint');
  expect(await query(`SELECT order_id, item_count FROM "${schema}".order_completed WHERE id = 'm-mismatch'`)).toEqual([
    { order_id: 'o-9', item_count: null },
  ]);
  const discards = await query(`SELECT table_name, column_name, value, reason, message_id, user_id FROM "${schema}".discards`);
  expect(discards).toEqual([{
    table_name: 'order_completed', column_name: 'item_count', value: 'several', message_id: 'm-mismatch', user_id: 'user-1',
    reason: 'type mismatch: the column is bigint, the value is text',
  }]);
  // Re-delivery does not duplicate the discard either.
  await run(prepared, [purchase('m-mismatch', { orderId: 'o-9', itemCount: 'several' })]);
  expect(await query(`SELECT count(*)::int AS n FROM "${schema}".discards`)).toEqual([{ n: 1 }]);
});

test('erasure deletes the user\'s rows from every table, discards included, and keeps other users\'', async () => {
  const prepared = connect(connector, settings);
  await run(prepared, [
    purchase('m-erase-1', { orderId: 'e-1', itemCount: 'many' }, { userId: 'user-erase', anonymousId: 'anon-erase' }),
    makeEvent({ messageId: 'm-erase-2', type: 'page', event: 'Home', userId: undefined, anonymousId: 'anon-erase' }),
    makeEvent({ messageId: 'm-erase-3', type: 'identify', userId: 'user-erase', traits: { email: 'erase@example.com' } }),
    purchase('m-keep', { orderId: 'k-1' }, { userId: 'user-keep', anonymousId: 'anon-keep' }),
  ]);
  const countFor = async (table: string, ids: string[]) =>
    (await query(`SELECT count(*)::int AS n FROM "${schema}".${table} WHERE user_id = ANY($1) OR anonymous_id = ANY($2)`, [ids, ids]))[0].n;
  expect(await countFor('discards', ['user-erase'])).toBe(1);

  await runDelete(prepared, { user_id: 'user-erase', anonymous_id: 'anon-erase' });

  for (const table of ['tracks', 'order_completed', 'pages', 'identifies', 'discards']) {
    expect([table, await countFor(table, ['user-erase', 'anon-erase'])]).toEqual([table, 0]);
  }
  expect(await countFor('order_completed', ['user-keep'])).toBe(1);
});

test('erasure by email alone also removes the events of the user ids recorded with that email', async () => {
  const prepared = connect(connector, settings);
  await run(prepared, [
    makeEvent({ messageId: 'm-mail-1', type: 'identify', userId: 'user-mail', anonymousId: 'anon-mail', traits: { email: 'mail@example.com' } }),
    purchase('m-mail-2', { orderId: 'mail-1' }, { userId: 'user-mail', anonymousId: 'anon-mail' }),
    purchase('m-mail-3', { orderId: 'mail-2' }, { userId: undefined, anonymousId: 'anon-mail' }),
  ]);
  await runDelete(prepared, { email: 'mail@example.com' });
  for (const table of ['identifies', 'tracks', 'order_completed']) {
    const [{ n }] = await query(`SELECT count(*)::int AS n FROM "${schema}".${table} WHERE id LIKE 'm-mail-%'`);
    expect([table, n]).toEqual([table, 0]);
  }
});

test('NUL characters, which PostgreSQL text cannot hold, are dropped instead of failing the event', async () => {
  const prepared = connect(connector, settings);
  const results = await run(prepared, [purchase('m-nul', { orderId: 'o-\u0000-1', meta: ['a\u0000b'] })]);
  expect(results).toEqual([{ status: 'ok' }]);
  expect(await query(`SELECT order_id, meta FROM "${schema}".order_completed WHERE id = 'm-nul'`)).toEqual([{ order_id: 'o--1', meta: ['ab'] }]);
});

test('a refused connection is retryable', async () => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const { port } = closed.address() as { port: number };
  await new Promise((resolve) => closed.close(resolve));
  const [result] = await run(connect(connector, { ...settings, port }, 'conn-refused'), [purchase('m-refused', {})]);
  expect(result).toMatchObject({ status: 'retryable', code: 'NETWORK_ECONNREFUSED' });
});

test('an unknown role or database is an authentication failure naming the setting to fix', async () => {
  const [badUser] = await run(connect(connector, { ...settings, user: 'no_such_role_sy' }, 'conn-bad-user'), [purchase('m-u', {})]);
  expect(badUser).toMatchObject({ status: 'authentication', code: 'PG_28000' });
  expect(badUser!.message).toMatch(/settings\.user/);
  const [badDb] = await run(connect(connector, { ...settings, database: 'no_such_db_sy' }, 'conn-bad-db'), [purchase('m-d', {})]);
  expect(badDb).toMatchObject({ status: 'authentication', code: 'PG_3D000' });
  expect(badDb!.message).toMatch(/settings\.database/);
});

test('the password never appears in an error message', async () => {
  const secret = 'S3cr3t-pass-word';
  const [result] = await run(
    connect(connector, { connectionString: `postgres://no_such_role_sy:${secret}@${server.host}:${server.port}/${server.database}`, schema }, 'conn-secret'),
    [purchase('m-s', {})],
  );
  expect(result!.status).toBe('authentication');
  expect(JSON.stringify(result)).not.toContain(secret);
});
