import pg from 'pg';
import { buildAudience, createTestHarness } from '@switchyard/sdk-kit/testing';
import connector, { closeWarehouses } from '../src/index.js';
import { randomSchema, server } from './helpers.js';

const schema = randomSchema();
const admin = new pg.Pool({ ...server, max: 2 });
const warehouse = createTestHarness(connector, { settings: { ...server, schema }, connectionId: 'conn-pg-audience' });
const iso = (value: unknown) => (value === null ? null : (value as Date).toISOString());
async function membership(key: string, profileId: string) {
  const { rows } = await admin.query(
    `SELECT audience_name, user_id, email, identifiers, entered_at, exited_at, changed_at, message_id FROM "${schema}".audience_memberships WHERE audience_key = $1 AND profile_id = $2`,
    [key, profileId],
  );
  return rows.map((r) => ({ ...r, entered_at: iso(r.entered_at), exited_at: iso(r.exited_at), changed_at: iso(r.changed_at) }));
}

afterAll(async () => {
  await closeWarehouses();
  await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await admin.end();
});

const change = (id: string, profileId: string | undefined, action: 'add' | 'remove', at: string, key = 'vip', identities: Record<string, string> = {}) => ({
  ...buildAudience({ messageId: id, profileId, userId: undefined, anonymousId: undefined, audience: { key, name: 'VIP', action, at } }),
  identities,
});

test('an add sets entered_at with every identifier; a remove sets exited_at and keeps entered_at; a new add re-enters', async () => {
  const identities = { user_id: 'u-1', email: ' Ada@Example.com ', phone: '+1 650 555 1212' };
  expect((await warehouse.run(change('m-1', '101', 'add', '2026-01-10T10:00:00.000Z', 'vip', identities))).results).toEqual([{ status: 'ok' }]);
  expect(await membership('vip', '101')).toEqual([
    {
      audience_name: 'VIP',
      user_id: 'u-1',
      email: 'ada@example.com',
      identifiers: { user_id: 'u-1', email: 'ada@example.com', phone: '+16505551212', profile_id: '101' },
      entered_at: '2026-01-10T10:00:00.000Z',
      exited_at: null,
      changed_at: '2026-01-10T10:00:00.000Z',
      message_id: 'm-1',
    },
  ]);
  await warehouse.run(change('m-2', '101', 'remove', '2026-01-12T08:00:00.000Z', 'vip', identities));
  expect((await membership('vip', '101'))[0]).toMatchObject({
    entered_at: '2026-01-10T10:00:00.000Z',
    exited_at: '2026-01-12T08:00:00.000Z',
    message_id: 'm-2',
  });
  await warehouse.run(change('m-3', '101', 'add', '2026-02-01T00:00:00.000Z', 'vip', identities));
  expect((await membership('vip', '101'))[0]).toMatchObject({ entered_at: '2026-02-01T00:00:00.000Z', exited_at: null });
});

test('a redelivered add keeps when the person entered, and a change older than the row is ignored', async () => {
  await warehouse.run(change('m-10', '202', 'add', '2026-03-01T00:00:00.000Z'));
  await warehouse.run(change('m-11', '202', 'add', '2026-03-05T00:00:00.000Z'));
  await warehouse.run(change('m-9', '202', 'remove', '2026-02-28T00:00:00.000Z'));
  expect((await membership('vip', '202'))[0]).toMatchObject({
    entered_at: '2026-03-01T00:00:00.000Z',
    exited_at: null,
    changed_at: '2026-03-05T00:00:00.000Z',
    message_id: 'm-11',
  });
});

test('writes more than one statement of rows; no profile id fails alone; no identifier is unmatched', async () => {
  const many = Array.from({ length: 1001 }, (_, i) => change(`m-bulk-${i}`, `bulk-${i}`, 'add', '2026-05-01T00:00:00.000Z', 'bulk'));
  const { results } = await warehouse.run([
    ...many,
    change('m-nobody', undefined, 'add', '2026-05-01T00:00:00.000Z', 'bulk'),
    change('m-anon', undefined, 'add', '2026-05-01T00:00:00.000Z', 'bulk', { email: 'anon@example.com' }),
  ]);
  expect(results.slice(0, 1001).every((r) => r.status === 'ok')).toBe(true);
  expect(results[1001]).toEqual({ status: 'ok', code: 'UNMATCHED' });
  expect(results[1002]).toMatchObject({ status: 'permanent', code: 'NO_PROFILE_ID' });
  const { rows } = await admin.query(`SELECT count(*)::int AS n FROM "${schema}".audience_memberships WHERE audience_key = 'bulk'`);
  expect(rows[0].n).toBe(1001);
});

test('erasure by email or by profile id removes the memberships; export reads them back first', async () => {
  await warehouse.run(change('m-30', '404', 'add', '2026-06-01T00:00:00.000Z', 'vip', { email: 'grace@example.com' }));
  const exported = await warehouse.runExport({ email: 'Grace@Example.com' });
  expect(exported.records).toEqual([expect.objectContaining({ source: 'audience_memberships', data: expect.objectContaining({ profile_id: '404' }) })]);
  expect((await warehouse.runDelete({ email: 'GRACE@example.com' })).result).toEqual({ status: 'ok' });
  expect(await membership('vip', '404')).toEqual([]);
  expect((await warehouse.runDelete({ profile_id: '101' })).result).toEqual({ status: 'ok' });
  expect(await membership('vip', '101')).toEqual([]);
  expect(await membership('vip', '202')).toHaveLength(1);
});

test('a database that refuses the write is classified, with the password never in the message', async () => {
  const refused = createTestHarness(connector, { settings: { ...server, port: 1, password: 'pg-secret-password', schema }, connectionId: 'conn-pg-down' });
  const { results } = await refused.run(change('m-40', '505', 'add', '2026-07-01T00:00:00.000Z'));
  expect(results[0]).toMatchObject({ status: 'retryable' });
  expect(results[0]!.message ?? '').not.toContain('pg-secret-password');
});
