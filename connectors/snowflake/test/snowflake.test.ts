import nock from 'nock';
import { tmpdir } from 'node:os';
import {
  checkManifest, egressFor, executeEvents, prepareConnection, type AnyConnector, type CanonicalEvent, type PreparedConnection,
} from '@switchyard/sdk-kit';
import connector from '../src/index.js';
import { ACCOUNT, FINGERPRINT, HOST, PRIVATE_KEY_PEM, fakeSnowflake, verifyJwt } from './fake-snowflake.js';

const settings = { account: ACCOUNT, user: 'loader', privateKey: PRIVATE_KEY_PEM, database: 'ANALYTICS', schema: 'SWITCHYARD', warehouse: 'LOADING' };
let connections = 0;
/** A fresh connection (and so a fresh schema cache) per test, prepared as the runtime's workers do. */
const connect = (overrides: Record<string, unknown> = {}): PreparedConnection => prepareConnection(connector as unknown as AnyConnector, {
  connectionId: `conn-sf-${(connections += 1)}`, settings: { ...settings, ...overrides }, dataDir: tmpdir(), logLevel: 'silent',
});
const run = (prepared: PreparedConnection, events: CanonicalEvent[]) => executeEvents(prepared, events);
const makeEvent = (overrides: Partial<CanonicalEvent> = {}): CanonicalEvent => ({
  messageId: 'msg-1', type: 'track', event: 'Order Completed', userId: 'user-1', identities: {}, traits: {}, properties: {},
  context: {}, timestamp: '2026-11-20T10:00:00.000Z', receivedAt: '2026-11-20T10:00:01.000Z', sourceId: 'src-1', ...overrides,
});
const deleteUser = (prepared: PreparedConnection, identities: Record<string, string>) => prepared.connector.onDelete!({
  settings: prepared.settings as never, connectionId: prepared.connectionId, http: prepared.http, log: prepared.log,
  signal: new AbortController().signal, dataDir: prepared.dataDir, user: { identities },
});

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

test('the manifest passes the router\'s checks and egress is the account\'s host only', () => {
  expect(checkManifest(connector)).toEqual([]);
  expect(egressFor(connector as unknown as AnyConnector, settings)).toEqual(['myorg-myaccount.snowflakecomputing.com']);
});

test('authenticates every statement with a key-pair JWT naming the account, user and key fingerprint', async () => {
  const sf = fakeSnowflake();
  await run(connect(), [makeEvent()]);
  const { headers } = sf.calls[0]!;
  expect(headers['x-snowflake-authorization-token-type']).toBe('KEYPAIR_JWT');
  const claims = verifyJwt(String(headers.authorization).replace(/^Bearer /, ''));
  expect(claims).toMatchObject({ iss: `MYORG-MYACCOUNT.LOADER.${FINGERPRINT}`, sub: 'MYORG-MYACCOUNT.LOADER' });
  expect(Number(claims.exp) - Number(claims.iat)).toBe(3600);
  expect(sf.calls[0]).toMatchObject({ database: 'ANALYTICS', schema: 'SWITCHYARD', warehouse: 'LOADING' });
});

test('creates tables, then writes each table with one MERGE that inserts only messages not already there', async () => {
  const sf = fakeSnowflake();
  const results = await run(connect(), [
    makeEvent({ messageId: 'm-1', properties: { orderId: 'o-1', revenue: 59.9, itemCount: 2, meta: { tags: ['a'] } } }),
    makeEvent({ messageId: 'm-2', properties: { orderId: 'o-2', itemCount: 1 } }),
  ]);
  expect(results).toEqual([{ status: 'ok' }, { status: 'ok' }]);
  expect(Object.fromEntries(sf.tables.get('ORDER_COMPLETED')!)).toMatchObject({
    ID: 'VARCHAR', ORDER_ID: 'VARCHAR', REVENUE: 'FLOAT', ITEM_COUNT: 'NUMBER(38,0)', META_TAGS: 'VARIANT', RECEIVED_AT: 'TIMESTAMP_TZ',
  });
  const merge = sf.calls.find((c) => c.statement.startsWith('MERGE INTO "ANALYTICS"."SWITCHYARD"."ORDER_COMPLETED"'))!;
  expect(merge.statement).toMatch(/USING \(SELECT .*TO_NUMBER\(column\d+\) AS "ITEM_COUNT".*PARSE_JSON\(column\d+\) AS "META_TAGS".* FROM VALUES \(\?(, \?)*\), \(\?(, \?)*\)\) s ON t\."ID" = s\."ID" WHEN NOT MATCHED THEN INSERT/);
  const values = Object.values(merge.bindings!);
  expect(values.every((b) => b.type === 'TEXT')).toBe(true);
  expect(values.map((b) => b.value)).toEqual(expect.arrayContaining(['m-1', 'm-2', 'o-1', '59.9', '2', '["a"]']));
  expect(merge.bindings!['1']).toEqual({ type: 'TEXT', value: expect.any(String) });
});

test('waits for a statement Snowflake answers with 202 by polling its handle', async () => {
  fakeSnowflake((call) => (call.statement.startsWith('MERGE INTO') && call.statement.includes('"TRACKS"')
    ? [202, { code: '333334', message: 'Asynchronous execution in progress.', statementHandle: 'async-1', statementStatusUrl: '/api/v2/statements/async-1' }]
    : undefined));
  const poll = nock(HOST).get('/api/v2/statements/async-1').reply(200, {
    code: '090001', statementHandle: 'async-1', resultSetMetaData: { rowType: [{ name: 'number of rows inserted' }], partitionInfo: [{}] }, data: [['1']],
  });
  const results = await run(connect(), [makeEvent()]);
  expect(results).toEqual([{ status: 'ok' }]);
  poll.done();
});

test('a value that does not fit its column is kept in DISCARDS and the event succeeds', async () => {
  const sf = fakeSnowflake();
  const prepared = connect();
  await run(prepared, [makeEvent({ messageId: 'm-1', properties: { itemCount: 2 } })]);
  expect(await run(prepared, [makeEvent({ messageId: 'm-2', properties: { itemCount: 'many' } })])).toEqual([{ status: 'ok' }]);
  const discard = sf.calls.find((c) => c.statement.startsWith('MERGE INTO "ANALYTICS"."SWITCHYARD"."DISCARDS"'))!;
  expect(discard.statement).toContain('ON t."MESSAGE_ID" = s."MESSAGE_ID" AND t."TABLE_NAME" = s."TABLE_NAME" AND t."COLUMN_NAME" = s."COLUMN_NAME"');
  expect(Object.values(discard.bindings!).map((b) => b.value)).toEqual(expect.arrayContaining(['m-2', 'order_completed', 'item_count', 'many']));
});

describe('errors', () => {
  const statements = () => nock(HOST).post('/api/v2/statements');

  test('429 is rate limited', async () => {
    statements().reply(429, { message: 'Too many requests' }, { 'retry-after': '3' });
    expect((await run(connect(), [makeEvent()]))[0]).toMatchObject({ status: 'rate_limited', retryAfterMs: 3000 });
  });

  test('401 and 403 are authentication failures that say what to check', async () => {
    statements().reply(401, { code: '390144', message: 'JWT token is invalid.' });
    expect((await run(connect(), [makeEvent()]))[0]).toMatchObject({ status: 'authentication', code: 'SNOWFLAKE_390144', message: expect.stringContaining('RSA_PUBLIC_KEY') });
    statements().reply(403, { code: '390102', message: 'User is not authorized' });
    expect((await run(connect(), [makeEvent()]))[0]).toMatchObject({ status: 'authentication' });
  });

  test('422 (the SQL did not compile or failed) is permanent and carries the SQL state', async () => {
    statements().reply(422, { code: '002003', message: "SQL compilation error: Database 'ANALYTICS' does not exist or not authorized.", sqlState: '02000' });
    const [result] = await run(connect(), [makeEvent()]);
    expect(result).toMatchObject({ status: 'permanent', code: 'SNOWFLAKE_002003', message: expect.stringMatching(/does not exist.*SQLSTATE 02000/) });
  });

  test('an unreadable private key is an authentication failure naming the setting and never echoing the key', async () => {
    const broken = `-----BEGIN PRIVATE KEY-----\n${'A'.repeat(80)}\n-----END PRIVATE KEY-----`;
    const [result] = await run(connect({ privateKey: broken }), [makeEvent()]);
    expect(result).toMatchObject({ status: 'authentication', code: 'SNOWFLAKE_KEY_INVALID', message: expect.stringContaining('settings.privateKey') });
    expect(result!.message).not.toContain('AAAA');
  });
});

test('erasure deletes the user\'s rows with a bound DELETE on every table with user columns', async () => {
  const sf = fakeSnowflake();
  const prepared = connect();
  await run(prepared, [makeEvent({ anonymousId: 'anon-1' })]);
  await deleteUser(prepared, { user_id: 'user-1', anonymous_id: 'anon-1' });
  const deletes = sf.calls.filter((c) => c.statement.startsWith('DELETE'));
  expect(deletes.map((d) => d.statement).sort()).toEqual([
    'DELETE FROM "ANALYTICS"."SWITCHYARD"."ORDER_COMPLETED" WHERE "USER_ID" IN (?) OR "ANONYMOUS_ID" IN (?)',
    'DELETE FROM "ANALYTICS"."SWITCHYARD"."TRACKS" WHERE "USER_ID" IN (?) OR "ANONYMOUS_ID" IN (?)',
  ]);
  expect(deletes[0]!.bindings).toEqual({ 1: { type: 'TEXT', value: 'user-1' }, 2: { type: 'TEXT', value: 'anon-1' } });
});
