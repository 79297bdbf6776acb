import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
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

describe('profile ids', () => {
  // Profile ids are signed 64-bit integers written as decimal strings.
  const PROFILE = '-4512889312377821203';
  const OTHER_PROFILE = '7305816447411432790';

  test("every row carries the event's profile id in a VARCHAR profile_id column", async () => {
    expect(await load([purchase('m-prof-1', { orderId: 'p-1' }, { profileId: OTHER_PROFILE }), purchase('m-prof-2', { orderId: 'p-2' })])).toEqual([
      { status: 'ok' },
      { status: 'ok' },
    ]);
    expect(
      await rowsOf(
        "SELECT table_name, data_type FROM information_schema.columns WHERE column_name = 'profile_id' AND table_name IN ('tracks', 'order_completed') ORDER BY 1",
      ),
    ).toEqual([
      ['order_completed', 'VARCHAR'],
      ['tracks', 'VARCHAR'],
    ]);
    expect(await rowsOf("SELECT id, profile_id FROM order_completed WHERE id LIKE 'm-prof-%' ORDER BY id")).toEqual([
      ['m-prof-1', OTHER_PROFILE],
      ['m-prof-2', null],
    ]);
    expect(await rowsOf("SELECT id, profile_id FROM tracks WHERE id LIKE 'm-prof-%' ORDER BY id")).toEqual([
      ['m-prof-1', OTHER_PROFILE],
      ['m-prof-2', null],
    ]);
  });

  test('tables created before profile_id existed get the column on their next write and keep their rows, discards included', async () => {
    const oldFile = join(dataDir, 'before-profiles.duckdb');
    // The tables as the previous version created them: common columns without profile_id.
    const common =
      'id VARCHAR NOT NULL PRIMARY KEY, received_at TIMESTAMPTZ, "timestamp" TIMESTAMPTZ, sent_at TIMESTAMPTZ, original_timestamp TIMESTAMPTZ, loaded_at TIMESTAMPTZ, user_id VARCHAR, anonymous_id VARCHAR, source_id VARCHAR, event VARCHAR, event_text VARCHAR';
    const instance = await DuckDBInstance.create(oldFile);
    const connection = await instance.connect();
    await connection.run(`CREATE TABLE tracks (${common})`);
    await connection.run(`CREATE TABLE order_completed (${common}, item_count BIGINT)`);
    await connection.run(
      'CREATE TABLE discards (message_id VARCHAR NOT NULL, table_name VARCHAR NOT NULL, column_name VARCHAR NOT NULL, value VARCHAR, reason VARCHAR, user_id VARCHAR, anonymous_id VARCHAR, received_at TIMESTAMPTZ, discarded_at TIMESTAMPTZ, PRIMARY KEY (message_id, table_name, column_name))',
    );
    await connection.run("INSERT INTO tracks (id, user_id, event) VALUES ('m-old', 'user-old', 'order_completed')");
    await connection.run("INSERT INTO order_completed (id, user_id, event, item_count) VALUES ('m-old', 'user-old', 'order_completed', 3)");
    await connection.run(
      "INSERT INTO discards (message_id, table_name, column_name, value, user_id) VALUES ('m-old', 'order_completed', 'x', 'y', 'user-old')",
    );
    connection.closeSync();
    instance.closeSync();

    const upgraded = createTestHarness(connector, { settings: { path: oldFile }, dataDir, connectionId: 'conn-duck-old' });
    expect((await upgraded.run(purchase('m-new', { itemCount: 'several' }, { profileId: PROFILE }))).results).toEqual([{ status: 'ok' }]);

    const old = async (text: string) => (await queryWarehouse(oldFile, text)).rows;
    expect(await old("SELECT table_name, data_type FROM information_schema.columns WHERE column_name = 'profile_id' ORDER BY table_name")).toEqual([
      ['discards', 'VARCHAR'],
      ['order_completed', 'VARCHAR'],
      ['tracks', 'VARCHAR'],
    ]);
    expect(await old('SELECT id, user_id, profile_id, item_count FROM order_completed ORDER BY id')).toEqual([
      ['m-new', 'user-1', PROFILE, null],
      ['m-old', 'user-old', null, '3'],
    ]);
    expect(await old('SELECT id, profile_id FROM tracks ORDER BY id')).toEqual([
      ['m-new', PROFILE],
      ['m-old', null],
    ]);
    expect(await old('SELECT message_id, column_name, profile_id FROM discards ORDER BY message_id')).toEqual([
      ['m-new', 'item_count', PROFILE],
      ['m-old', 'x', null],
    ]);
  });

  test("erasure by profile id alone deletes that person's rows under any user id and no one else's; export first reads them back", async () => {
    const loaded = await load([
      purchase('m-perase-1', { itemCount: 'many' }, { userId: 'user-perase-a', anonymousId: 'anon-perase-a', profileId: PROFILE }),
      buildPage({ messageId: 'm-perase-2', event: 'Home', userId: undefined, anonymousId: 'anon-perase-b', profileId: PROFILE }),
      buildIdentify({ messageId: 'm-perase-3', userId: 'user-perase-c', anonymousId: undefined, profileId: PROFILE }),
      purchase('m-perase-keep-1', { itemCount: 'few' }, { userId: 'user-perase-d', anonymousId: 'anon-perase-d', profileId: OTHER_PROFILE }),
      purchase('m-perase-keep-2', {}, { userId: 'user-perase-e', anonymousId: 'anon-perase-e' }),
    ]);
    expect(loaded.map((r) => r.status)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);

    const exported = await warehouse.runExport({ profile_id: PROFILE });
    expect(exported.result).toEqual({ status: 'ok' });
    expect(exported.records.map((r) => [r.source, r.data.id ?? r.data.message_id, r.data.profile_id]).sort()).toEqual([
      ['discards', 'm-perase-1', PROFILE],
      ['identifies', 'm-perase-3', PROFILE],
      ['order_completed', 'm-perase-1', PROFILE],
      ['pages', 'm-perase-2', PROFILE],
      ['tracks', 'm-perase-1', PROFILE],
    ]);

    expect((await warehouse.runDelete({ profile_id: PROFILE })).result).toEqual({ status: 'ok' });
    const idsIn = async (table: string, key = 'id') => (await rowsOf(`SELECT ${key} FROM ${table} WHERE ${key} LIKE 'm-perase-%' ORDER BY 1`)).flat();
    expect(await idsIn('tracks')).toEqual(['m-perase-keep-1', 'm-perase-keep-2']);
    expect(await idsIn('order_completed')).toEqual(['m-perase-keep-1', 'm-perase-keep-2']);
    expect(await idsIn('pages')).toEqual([]);
    expect(await idsIn('identifies')).toEqual([]);
    expect(await idsIn('discards', 'message_id')).toEqual(['m-perase-keep-1']);
    expect((await warehouse.runExport({ profile_id: PROFILE })).records).toEqual([]);
  });
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
