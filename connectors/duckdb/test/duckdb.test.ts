import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkManifest } from '@switchyard/sdk-kit';
import { buildIdentify, buildPage, buildTrack, createTestHarness, type EventOverrides } from '@switchyard/sdk-kit/testing';
import connector, { closeWarehouses } from '../src/index.js';
import { queryWarehouse } from '../src/query.js';

const dataDir = mkdtempSync(join(tmpdir(), 'sy-duckdb-'));
const file = join(dataDir, 'warehouse.duckdb');
const warehouse = createTestHarness(connector, { settings: {}, dataDir, connectionId: 'conn-duck' });
const load = async (events: Parameters<typeof warehouse.run>[0]) => (await warehouse.run(events)).results;
const sql = async (text: string) => queryWarehouse(file, text);
const rowsOf = async (text: string) => (await sql(text)).rows;

afterAll(async () => {
  await closeWarehouses();
  rmSync(dataDir, { recursive: true, force: true });
});

const purchase = (messageId: string, properties: Record<string, unknown>, extra: EventOverrides = {}) =>
  buildTrack({ messageId, event: 'Order Completed', properties, ...extra });

test("the manifest passes the router's checks and asks for a single worker", () => {
  expect(checkManifest(connector)).toEqual([]);
  expect(connector.defaults?.maxWorkers).toBe(1);
});

test("creates the file in the connection's data directory and loads a batch with inferred types", async () => {
  const results = await load([
    purchase('m-1', { orderId: 'o-1', revenue: 59.9, itemCount: 2, giftWrap: true, paidAt: '2026-11-20T09:59:00Z', items: [{ sku: 'a' }] }),
    purchase('m-2', { orderId: 'o-2', revenue: 10, itemCount: 1 }),
    buildIdentify({ messageId: 'm-3', traits: { email: 'jane@example.com', address: { city: 'Paris' } } }),
  ]);
  expect(results).toEqual([{ status: 'ok' }, { status: 'ok' }, { status: 'ok' }]);
  expect(existsSync(file)).toBe(true);
  expect(await rowsOf('SELECT id, order_id, revenue, item_count, gift_wrap, items, event_text FROM order_completed ORDER BY id')).toEqual([
    ['m-1', 'o-1', 59.9, '2', true, '[{"sku":"a"}]', 'Order Completed'],
    ['m-2', 'o-2', 10, '1', null, null, 'Order Completed'],
  ]);
  const types = Object.fromEntries(
    (await rowsOf("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'order_completed'")) as Array<[string, string]>,
  );
  expect(types).toMatchObject({
    revenue: 'DOUBLE',
    item_count: 'BIGINT',
    gift_wrap: 'BOOLEAN',
    paid_at: 'TIMESTAMP WITH TIME ZONE',
    items: 'JSON',
    order_id: 'VARCHAR',
  });
  expect(await rowsOf('SELECT id, email, address_city FROM identifies')).toEqual([['m-3', 'jane@example.com', 'Paris']]);
  expect(await rowsOf('SELECT count(*) FROM tracks')).toEqual([['2']]);
});

test('re-delivering the same messages adds no rows', async () => {
  const batch = [purchase('m-dup-1', { orderId: 'x' }), purchase('m-dup-2', { orderId: 'y' })];
  expect(await load(batch)).toEqual([{ status: 'ok' }, { status: 'ok' }]);
  expect(await load([...batch, batch[1]!])).toEqual([{ status: 'ok' }, { status: 'ok' }, { status: 'ok' }]);
  expect(await rowsOf("SELECT count(*) FROM order_completed WHERE id LIKE 'm-dup-%'")).toEqual([['2']]);
  expect(await rowsOf("SELECT count(*) FROM tracks WHERE id LIKE 'm-dup-%'")).toEqual([['2']]);
});

test('a new property adds a column; a value that does not fit goes to discards and the event succeeds', async () => {
  expect(await load([purchase('m-evolve', { couponCode: 'WINTER', itemCount: 'a few' })])).toEqual([{ status: 'ok' }]);
  expect(await rowsOf("SELECT coupon_code, item_count FROM order_completed WHERE id = 'm-evolve'")).toEqual([['WINTER', null]]);
  expect(await rowsOf("SELECT data_type FROM information_schema.columns WHERE table_name = 'order_completed' AND column_name = 'item_count'")).toEqual([
    ['BIGINT'],
  ]);
  expect(await rowsOf('SELECT table_name, column_name, value, reason, message_id FROM discards')).toEqual([
    ['order_completed', 'item_count', 'a few', 'type mismatch: the column is bigint, the value is text', 'm-evolve'],
  ]);
});

test("erasure deletes a user's rows from every table and keeps other users'", async () => {
  const loaded = await load([
    purchase('m-erase-1', { itemCount: 'lots' }, { userId: 'user-erase', anonymousId: 'anon-erase' }),
    buildPage({ messageId: 'm-erase-2', event: 'Home', userId: undefined, anonymousId: 'anon-erase' }),
    purchase('m-keep', {}, { userId: 'user-keep', anonymousId: 'anon-keep' }),
  ]);
  expect(loaded).toEqual([{ status: 'ok' }, { status: 'ok' }, { status: 'ok' }]);
  expect((await warehouse.runDelete({ user_id: 'user-erase', anonymous_id: 'anon-erase' })).result).toEqual({ status: 'ok' });
  for (const table of ['tracks', 'order_completed', 'pages', 'discards']) {
    expect([table, await rowsOf(`SELECT count(*) FROM ${table} WHERE user_id = 'user-erase' OR anonymous_id = 'anon-erase'`)]).toEqual([table, [['0']]]);
  }
  expect(await rowsOf("SELECT count(*) FROM order_completed WHERE user_id = 'user-keep'")).toEqual([['1']]);
});

test('erasure by email, in any case, deletes the rows of the ids recorded with it; export first reads the same rows back', async () => {
  const loaded = await load([
    buildIdentify({ messageId: 'm-ada-1', userId: 'user-ada', anonymousId: 'anon-ada', traits: { email: 'Ada@Example.com' } }),
    purchase('m-ada-2', { orderId: 'ada-1' }, { userId: 'user-ada', anonymousId: undefined }),
    purchase('m-ada-3', { orderId: 'keep-1' }, { userId: 'user-keep', anonymousId: 'anon-keep' }),
  ]);
  expect(loaded).toEqual([{ status: 'ok' }, { status: 'ok' }, { status: 'ok' }]);
  const exported = await warehouse.runExport({ email: 'ada@example.com' });
  expect(exported.result).toEqual({ status: 'ok' });
  expect(exported.records.map((r) => [r.source, r.data.id]).sort()).toEqual([
    ['identifies', 'm-ada-1'],
    ['order_completed', 'm-ada-2'],
    ['tracks', 'm-ada-2'],
  ]);
  expect(JSON.parse(JSON.stringify(exported.records))).toEqual(exported.records);

  expect((await warehouse.runDelete({ email: ' ADA@example.com' })).result).toEqual({ status: 'ok' });
  expect(await rowsOf("SELECT id FROM tracks WHERE id LIKE 'm-ada-%' UNION ALL SELECT id FROM identifies WHERE id LIKE 'm-ada-%'")).toEqual([['m-ada-3']]);
  expect((await warehouse.runExport({ email: 'ada@example.com' })).records).toEqual([]);
});

test('queryWarehouse says clearly when the file does not exist or the query is wrong', async () => {
  await expect(queryWarehouse(join(dataDir, 'missing.duckdb'), 'SELECT 1')).rejects.toMatchObject({
    code: 'WAREHOUSE_NOT_FOUND',
    message: expect.stringContaining('missing.duckdb'),
  });
  await expect(sql('SELECT nope FROM tracks')).rejects.toMatchObject({ code: 'QUERY_FAILED', message: expect.stringMatching(/nope/) });
  await expect(sql('DELETE FROM tracks')).rejects.toMatchObject({ code: 'QUERY_FAILED', message: expect.stringMatching(/read-only/i) });
});

describe('while another process writes the file', () => {
  const lockedDir = mkdtempSync(join(tmpdir(), 'sy-duckdb-locked-'));
  const lockedFile = join(lockedDir, 'warehouse.duckdb');
  let holder: ChildProcess;

  beforeAll(async () => {
    // Stands in for the running router: a separate process holding the file open read-write.
    holder = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `
      import { DuckDBInstance } from '@duckdb/node-api';
      const instance = await DuckDBInstance.create(${JSON.stringify(lockedFile)});
      const connection = await instance.connect();
      await connection.run('CREATE TABLE t (x INTEGER)');
      // Kept reachable: a collected instance closes the file and releases the lock (seen on CI under load).
      globalThis.heldOpen = { instance, connection };
      process.stdout.write('ready\\n');
      process.stdin.on('data', () => globalThis.heldOpen.connection.run('SELECT 1'));
    `,
      ],
      { cwd: join(import.meta.dirname, '..'), stdio: ['pipe', 'pipe', 'inherit'] },
    );
    await new Promise<void>((resolve, reject) => {
      holder.stdout!.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('ready')) resolve();
      });
      holder.on('exit', (code) => reject(new Error(`lock holder exited with ${code}`)));
    });
  });

  afterAll(async () => {
    const exited = new Promise((resolve) => holder.once('exit', resolve));
    holder.kill();
    await exited;
    rmSync(lockedDir, { recursive: true, force: true });
  });

  test('queryWarehouse says the router holds the write lock and what to do', async () => {
    await expect(queryWarehouse(lockedFile, 'SELECT * FROM t')).rejects.toMatchObject({
      code: 'WAREHOUSE_LOCKED',
      message: expect.stringMatching(/open for writing by another process \(PID \d+.*Stop the router/),
    });
  });

  test('delivery is retried, not dead-lettered, while the file is locked', async () => {
    const other = createTestHarness(connector, { settings: { path: lockedFile }, dataDir, connectionId: 'conn-duck-locked' });
    const {
      results: [result],
    } = await other.run(purchase('m-locked', {}));
    expect(result).toMatchObject({ status: 'retryable', code: 'DUCKDB_LOCKED' });
  });
});
