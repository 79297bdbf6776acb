import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildAudience, createTestHarness } from '@switchyard/sdk-kit/testing';
import connector, { closeWarehouses } from '../src/index.js';
import { queryWarehouse } from '../src/query.js';

const dataDir = mkdtempSync(join(tmpdir(), 'sy-duckdb-audience-'));
const file = join(dataDir, 'warehouse.duckdb');
const warehouse = createTestHarness(connector, { settings: {}, dataDir, connectionId: 'conn-duck-audience' });
const rowsOf = async (text: string) => (await queryWarehouse(file, text)).rows;
const membership = (key: string, profileId: string) =>
  rowsOf(
    `SELECT audience_name, user_id, email, identifiers, entered_at, exited_at, changed_at, message_id FROM audience_memberships WHERE audience_key = '${key}' AND profile_id = '${profileId}'`,
  );
const iso = (value: unknown) => (value === null ? null : new Date(String(value)).toISOString());

afterAll(async () => {
  await closeWarehouses();
  rmSync(dataDir, { recursive: true, force: true });
});

/** One change of person `profileId` (with these identities) to audience `key`, at `at`. */
const change = (id: string, profileId: string | undefined, action: 'add' | 'remove', at: string, key = 'vip', identities: Record<string, string> = {}) => ({
  ...buildAudience({ messageId: id, profileId, userId: undefined, anonymousId: undefined, audience: { key, name: 'VIP', action, at } }),
  identities,
});

test('an add sets entered_at with every identifier; a remove sets exited_at and keeps entered_at; a new add re-enters', async () => {
  const identities = { user_id: 'u-1', email: ' Ada@Example.com ', phone: '+1 650 555 1212' };
  expect((await warehouse.run(change('m-1', '101', 'add', '2026-01-10T10:00:00.000Z', 'vip', identities))).results).toEqual([{ status: 'ok' }]);
  const [row] = await membership('vip', '101');
  expect(row!.slice(0, 3)).toEqual(['VIP', 'u-1', 'ada@example.com']);
  expect(JSON.parse(String(row![3]))).toEqual({ user_id: 'u-1', email: 'ada@example.com', phone: '+16505551212', profile_id: '101' });
  expect(row!.slice(4, 7).map(iso)).toEqual(['2026-01-10T10:00:00.000Z', null, '2026-01-10T10:00:00.000Z']);

  await warehouse.run(change('m-2', '101', 'remove', '2026-01-12T08:00:00.000Z', 'vip', identities));
  expect((await membership('vip', '101'))[0]!.slice(4, 8).map((v, i) => (i < 3 ? iso(v) : v))).toEqual([
    '2026-01-10T10:00:00.000Z',
    '2026-01-12T08:00:00.000Z',
    '2026-01-12T08:00:00.000Z',
    'm-2',
  ]);

  await warehouse.run(change('m-3', '101', 'add', '2026-02-01T00:00:00.000Z', 'vip', identities));
  expect((await membership('vip', '101'))[0]!.slice(4, 6).map(iso)).toEqual(['2026-02-01T00:00:00.000Z', null]);
});

test('a redelivered add keeps when the person entered, and a change older than the row is ignored', async () => {
  await warehouse.run(change('m-10', '202', 'add', '2026-03-01T00:00:00.000Z'));
  await warehouse.run(change('m-11', '202', 'add', '2026-03-05T00:00:00.000Z'));
  expect((await membership('vip', '202'))[0]!.slice(4, 7).map(iso)).toEqual(['2026-03-01T00:00:00.000Z', null, '2026-03-05T00:00:00.000Z']);

  // A remove from before the last change arrives late: the person stays in.
  await warehouse.run(change('m-9', '202', 'remove', '2026-02-28T00:00:00.000Z'));
  expect((await membership('vip', '202'))[0]!.slice(4, 8).map((v, i) => (i < 3 ? iso(v) : v))).toEqual([
    '2026-03-01T00:00:00.000Z',
    null,
    '2026-03-05T00:00:00.000Z',
    'm-11',
  ]);
});

test('a remove of someone never added records the exit; audiences are kept apart; events are not loaded as event rows', async () => {
  const { results } = await warehouse.run([
    change('m-20', '303', 'remove', '2026-04-01T00:00:00.000Z', 'churn_risk'),
    change('m-21', '303', 'add', '2026-04-01T00:00:00.000Z'),
  ]);
  expect(results).toEqual([{ status: 'ok' }, { status: 'ok' }]);
  expect((await membership('churn_risk', '303'))[0]!.slice(4, 6).map(iso)).toEqual([null, '2026-04-01T00:00:00.000Z']);
  expect((await membership('vip', '303'))[0]!.slice(4, 6).map(iso)).toEqual(['2026-04-01T00:00:00.000Z', null]);
  const tables = (await rowsOf("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'")).map((r) => r[0]);
  expect(tables).toContain('audience_memberships');
  expect(tables).not.toContain('tracks');
});

test('writes more than one statement of rows; a person without a profile id fails alone; one with no identifier is unmatched', async () => {
  const many = Array.from({ length: 1001 }, (_, i) => change(`m-bulk-${i}`, `bulk-${i}`, 'add', '2026-05-01T00:00:00.000Z', 'bulk'));
  const nobody = change('m-nobody', undefined, 'add', '2026-05-01T00:00:00.000Z', 'bulk');
  const anonymous = change('m-anon', undefined, 'add', '2026-05-01T00:00:00.000Z', 'bulk', { email: 'anon@example.com' });
  const { results } = await warehouse.run([...many, nobody, anonymous]);
  expect(results.slice(0, 1001).every((r) => r.status === 'ok')).toBe(true);
  expect(results[1001]).toEqual({ status: 'ok', code: 'UNMATCHED' });
  expect(results[1002]).toMatchObject({ status: 'permanent', code: 'NO_PROFILE_ID' });
  expect(await rowsOf("SELECT count(*) FROM audience_memberships WHERE audience_key = 'bulk'")).toEqual([['1001']]);
});

test('erasure by email or by profile id removes the memberships; export reads them back first', async () => {
  await warehouse.run(change('m-30', '404', 'add', '2026-06-01T00:00:00.000Z', 'vip', { email: 'grace@example.com' }));
  const exported = await warehouse.runExport({ email: 'Grace@Example.com' });
  expect(exported.records).toEqual([
    expect.objectContaining({ source: 'audience_memberships', data: expect.objectContaining({ profile_id: '404', audience_key: 'vip' }) }),
  ]);
  expect((await warehouse.runDelete({ email: 'GRACE@example.com' })).result).toEqual({ status: 'ok' });
  expect(await membership('vip', '404')).toEqual([]);

  expect((await warehouse.runDelete({ profile_id: '101' })).result).toEqual({ status: 'ok' });
  expect(await membership('vip', '101')).toEqual([]);
  expect(await membership('vip', '202')).toHaveLength(1);
});
