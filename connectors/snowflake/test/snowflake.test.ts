import { checkManifest, egressFor, type AnyConnector, type CanonicalEvent } from '@switchyard/sdk-kit';
import { buildIdentify, buildTrack, createTestHarness, type EventOverrides, type MockResponse } from '@switchyard/sdk-kit/testing';
import connector from '../src/index.js';
import { ACCOUNT, FINGERPRINT, HOST, PRIVATE_KEY_PEM, createFakeSnowflake, verifyJwt, type StatementCall } from './fake-snowflake.js';

const settings = { account: ACCOUNT, user: 'loader', privateKey: PRIVATE_KEY_PEM, database: 'ANALYTICS', schema: 'SWITCHYARD', warehouse: 'LOADING' };
const STATEMENTS = `${HOST}/api/v2/statements`;
let connections = 0;
/** A fresh connection (and so a fresh schema cache) per test, run in this thread by the harness. */
const connect = (overrides: Record<string, unknown> = {}) =>
  createTestHarness(connector, { settings: { ...settings, ...overrides }, connectionId: `conn-sf-${(connections += 1)}` });

/** A fresh connection to the fake Snowflake; `sf` records every statement it was sent. */
function fakeSnowflake(override?: Parameters<typeof createFakeSnowflake>[0]) {
  const sf = createFakeSnowflake(override);
  return { sf, harness: connect().respond(sf.respond) };
}

/** A connection whose every statement is answered with `answer`. */
const answering = (answer: MockResponse) => connect().respond(() => answer);

const event = (overrides: EventOverrides = {}): CanonicalEvent => buildTrack({ event: 'Order Completed', ...overrides });
const order = (messageId: string, properties: Record<string, unknown>): CanonicalEvent => ({ ...event({ messageId }), properties });

test("the manifest passes the router's checks and egress is the account's host only", () => {
  expect(checkManifest(connector)).toEqual([]);
  expect(egressFor(connector as unknown as AnyConnector, settings)).toEqual(['myorg-myaccount.snowflakecomputing.com']);
});

test('authenticates every statement with a key-pair JWT naming the account, user and key fingerprint', async () => {
  const { sf, harness } = fakeSnowflake();
  expect((await harness.run(event())).results).toEqual([{ status: 'ok' }]);
  const { headers } = sf.calls[0]!;
  expect(headers['x-snowflake-authorization-token-type']).toBe('KEYPAIR_JWT');
  const claims = verifyJwt(String(headers.authorization).replace(/^Bearer /, ''));
  expect(claims).toMatchObject({ iss: `MYORG-MYACCOUNT.LOADER.${FINGERPRINT}`, sub: 'MYORG-MYACCOUNT.LOADER' });
  expect(Number(claims.exp) - Number(claims.iat)).toBe(3600);
  expect(sf.calls[0]).toMatchObject({ database: 'ANALYTICS', schema: 'SWITCHYARD', warehouse: 'LOADING' });
});

test('creates tables, then writes each table with one MERGE that inserts only messages not already there', async () => {
  const { sf, harness } = fakeSnowflake();
  const { results } = await harness.run([
    order('m-1', { orderId: 'o-1', revenue: 59.9, itemCount: 2, meta: { tags: ['a'] } }),
    order('m-2', { orderId: 'o-2', itemCount: 1 }),
  ]);
  expect(results).toEqual([{ status: 'ok' }, { status: 'ok' }]);
  expect(Object.fromEntries(sf.tables.get('ORDER_COMPLETED')!)).toMatchObject({
    ID: 'VARCHAR',
    ORDER_ID: 'VARCHAR',
    REVENUE: 'FLOAT',
    ITEM_COUNT: 'NUMBER(38,0)',
    META_TAGS: 'VARIANT',
    RECEIVED_AT: 'TIMESTAMP_TZ',
  });
  const merge = sf.calls.find((c) => c.statement.startsWith('MERGE INTO "ANALYTICS"."SWITCHYARD"."ORDER_COMPLETED"'))!;
  expect(merge.statement).toMatch(
    /USING \(SELECT .*TO_NUMBER\(column\d+\) AS "ITEM_COUNT".*PARSE_JSON\(column\d+\) AS "META_TAGS".* FROM VALUES \(\?(, \?)*\), \(\?(, \?)*\)\) s ON t\."ID" = s\."ID" WHEN NOT MATCHED THEN INSERT/,
  );
  const values = Object.values(merge.bindings!);
  expect(values.every((b) => b.type === 'TEXT')).toBe(true);
  expect(values.map((b) => b.value)).toEqual(expect.arrayContaining(['m-1', 'm-2', 'o-1', '59.9', '2', '["a"]']));
  expect(merge.bindings!['1']).toEqual({ type: 'TEXT', value: expect.any(String) });
});

test('waits for a statement Snowflake answers with 202 by polling its handle', async () => {
  const sf = createFakeSnowflake((call) =>
    call.statement.startsWith('MERGE INTO') && call.statement.includes('"TRACKS"')
      ? [202, { code: '333334', message: 'Asynchronous execution in progress.', statementHandle: 'async-1', statementStatusUrl: '/api/v2/statements/async-1' }]
      : undefined,
  );
  const polled = {
    code: '090001',
    statementHandle: 'async-1',
    resultSetMetaData: { rowType: [{ name: 'number of rows inserted' }], partitionInfo: [{}] },
    data: [['1']],
  };
  const { requests, results } = await connect()
    .respond((request) => (request.method === 'GET' ? { status: 200, body: polled } : sf.respond(request)))
    .run(event());
  expect(results).toEqual([{ status: 'ok' }]);
  expect(requests.filter((r) => r.method === 'GET').map((r) => r.url)).toEqual([`${STATEMENTS}/async-1`]);
});

test('a value that does not fit its column is kept in DISCARDS and the event succeeds', async () => {
  const { sf, harness } = fakeSnowflake();
  expect((await harness.run(order('m-1', { itemCount: 2 }))).results).toEqual([{ status: 'ok' }]);
  expect((await harness.run(order('m-2', { itemCount: 'many' }))).results).toEqual([{ status: 'ok' }]);
  const discard = sf.calls.find((c) => c.statement.startsWith('MERGE INTO "ANALYTICS"."SWITCHYARD"."DISCARDS"'))!;
  expect(discard.statement).toContain('ON t."MESSAGE_ID" = s."MESSAGE_ID" AND t."TABLE_NAME" = s."TABLE_NAME" AND t."COLUMN_NAME" = s."COLUMN_NAME"');
  expect(Object.values(discard.bindings!).map((b) => b.value)).toEqual(expect.arrayContaining(['m-2', 'order_completed', 'item_count', 'many']));
});

describe('errors', () => {
  test('429 is rate limited', async () => {
    const limited = answering({ status: 429, headers: { 'retry-after': '3' }, body: { message: 'Too many requests' } });
    expect((await limited.run(event())).results[0]).toMatchObject({ status: 'rate_limited', retryAfterMs: 3000 });
  });

  test('401 and 403 are authentication failures that say what to check', async () => {
    const invalidJwt = answering({ status: 401, body: { code: '390144', message: 'JWT token is invalid.' } });
    expect((await invalidJwt.run(event())).results[0]).toMatchObject({
      status: 'authentication',
      code: 'SNOWFLAKE_390144',
      message: expect.stringContaining('RSA_PUBLIC_KEY'),
    });
    const forbidden = answering({ status: 403, body: { code: '390102', message: 'User is not authorized' } });
    expect((await forbidden.run(event())).results[0]).toMatchObject({ status: 'authentication' });
  });

  test('422 (the SQL did not compile or failed) is permanent and carries the SQL state', async () => {
    const {
      results: [result],
    } = await answering({
      status: 422,
      body: { code: '002003', message: "SQL compilation error: Database 'ANALYTICS' does not exist or not authorized.", sqlState: '02000' },
    }).run(event());
    expect(result).toMatchObject({ status: 'permanent', code: 'SNOWFLAKE_002003', message: expect.stringMatching(/does not exist.*SQLSTATE 02000/) });
  });

  test('an unreadable private key is an authentication failure naming the setting and never echoing the key', async () => {
    const broken = `-----BEGIN PRIVATE KEY-----\n${'A'.repeat(80)}\n-----END PRIVATE KEY-----`;
    const {
      requests,
      results: [result],
      logs,
    } = await connect({ privateKey: broken }).run(event());
    expect(result).toMatchObject({ status: 'authentication', code: 'SNOWFLAKE_KEY_INVALID', message: expect.stringContaining('settings.privateKey') });
    expect(result!.message).not.toContain('AAAA');
    expect(logs.join('\n')).not.toContain('AAAA');
    expect(requests).toEqual([]);
  });
});

test("erasure deletes the user's rows with a bound DELETE on every table with user columns", async () => {
  const { sf, harness } = fakeSnowflake();
  expect((await harness.run(event({ anonymousId: 'anon-1' }))).results).toEqual([{ status: 'ok' }]);
  expect((await harness.runDelete({ user_id: 'user-1', anonymous_id: 'anon-1' })).result).toEqual({ status: 'ok' });
  const deletes = sf.calls.filter((c) => c.statement.startsWith('DELETE'));
  expect(deletes.map((d) => d.statement).sort()).toEqual([
    'DELETE FROM "ANALYTICS"."SWITCHYARD"."ORDER_COMPLETED" WHERE "USER_ID" IN (?) OR "ANONYMOUS_ID" IN (?)',
    'DELETE FROM "ANALYTICS"."SWITCHYARD"."TRACKS" WHERE "USER_ID" IN (?) OR "ANONYMOUS_ID" IN (?)',
  ]);
  expect(deletes[0]!.bindings).toEqual({ 1: { type: 'TEXT', value: 'user-1' }, 2: { type: 'TEXT', value: 'anon-1' } });
});

test('erasure by email compares the column trimmed and lower-cased with the normalised email', async () => {
  const { sf, harness } = fakeSnowflake();
  expect((await harness.run(buildIdentify({ userId: 'user-7', traits: { email: 'Ada@Example.com' } }))).results).toEqual([{ status: 'ok' }]);
  expect((await harness.runDelete({ email: ' ADA@example.com' })).result).toEqual({ status: 'ok' });
  const lookup = sf.calls.find((c) => c.statement.startsWith('SELECT DISTINCT'))!;
  expect(lookup.statement).toBe('SELECT DISTINCT "USER_ID", "ANONYMOUS_ID" FROM "ANALYTICS"."SWITCHYARD"."IDENTIFIES" WHERE lower(trim("EMAIL")) IN (?)');
  expect(lookup.bindings).toEqual({ 1: { type: 'TEXT', value: 'ada@example.com' } });
  const identifiesDelete = sf.calls.find((c) => c.statement.startsWith('DELETE FROM "ANALYTICS"."SWITCHYARD"."IDENTIFIES"'))!;
  expect(identifiesDelete.statement).toBe('DELETE FROM "ANALYTICS"."SWITCHYARD"."IDENTIFIES" WHERE lower(trim("EMAIL")) IN (?)');
});

describe('profile ids', () => {
  // Profile ids are signed 64-bit integers written as decimal strings.
  const PROFILE = '-4512889312377821203';
  const mergeInto = (sf: ReturnType<typeof createFakeSnowflake>, table: string) =>
    sf.calls.find((c) => c.statement.startsWith(`MERGE INTO "ANALYTICS"."SWITCHYARD"."${table}"`))!;
  /** The value bound for `column` in a MERGE of one row. */
  const boundValue = (call: StatementCall, column: string) => {
    const index = new RegExp(`column(\\d+)\\) AS "${column}"|column(\\d+) AS "${column}"`).exec(call.statement)!;
    return call.bindings![index[1] ?? index[2]!]!.value;
  };

  test("tables get a PROFILE_ID VARCHAR column and every MERGE writes the event's profile id into it", async () => {
    const { sf, harness } = fakeSnowflake();
    expect((await harness.run(event({ messageId: 'm-p', profileId: PROFILE }))).results).toEqual([{ status: 'ok' }]);
    for (const table of ['TRACKS', 'ORDER_COMPLETED']) {
      expect([table, sf.tables.get(table)!.get('PROFILE_ID')]).toEqual([table, 'VARCHAR']);
      expect([table, boundValue(mergeInto(sf, table), 'PROFILE_ID')]).toEqual([table, PROFILE]);
    }
  });

  test('tables created before profile_id existed get it with ALTER TABLE … ADD COLUMN and are never re-created or emptied', async () => {
    const { sf, harness } = fakeSnowflake();
    const common: Array<[string, string]> = [
      ['ID', 'VARCHAR'],
      ['RECEIVED_AT', 'TIMESTAMP_TZ'],
      ['TIMESTAMP', 'TIMESTAMP_TZ'],
      ['SENT_AT', 'TIMESTAMP_TZ'],
      ['ORIGINAL_TIMESTAMP', 'TIMESTAMP_TZ'],
      ['LOADED_AT', 'TIMESTAMP_TZ'],
      ['USER_ID', 'VARCHAR'],
      ['ANONYMOUS_ID', 'VARCHAR'],
      ['SOURCE_ID', 'VARCHAR'],
      ['EVENT', 'VARCHAR'],
      ['EVENT_TEXT', 'VARCHAR'],
    ];
    // The tables as the previous version created them: common columns without PROFILE_ID.
    sf.tables.set('TRACKS', new Map(common));
    sf.tables.set('ORDER_COMPLETED', new Map([...common, ['ITEM_COUNT', 'NUMBER(38,0)']]));
    sf.tables.set(
      'DISCARDS',
      new Map(
        ['MESSAGE_ID', 'TABLE_NAME', 'COLUMN_NAME', 'VALUE', 'REASON', 'USER_ID', 'ANONYMOUS_ID', 'RECEIVED_AT', 'DISCARDED_AT'].map((c) => [
          c,
          c.endsWith('_AT') ? 'TIMESTAMP_TZ' : 'VARCHAR',
        ]),
      ),
    );
    expect((await harness.run({ ...event({ messageId: 'm-new', profileId: PROFILE }), properties: { itemCount: 'many' } })).results).toEqual([
      { status: 'ok' },
    ]);

    // The old tables only gain columns: nothing creates, replaces, drops or empties them.
    const ddl = sf.calls.map((c) => c.statement).filter((s) => !/^(SELECT|MERGE|CREATE SCHEMA)/.test(s));
    expect(ddl.filter((s) => !s.startsWith('ALTER TABLE') || !s.includes(' ADD COLUMN IF NOT EXISTS '))).toEqual([]);
    expect(ddl).toEqual(
      expect.arrayContaining(
        ['DISCARDS', 'ORDER_COMPLETED', 'TRACKS'].map((t) => `ALTER TABLE "ANALYTICS"."SWITCHYARD"."${t}" ADD COLUMN IF NOT EXISTS "PROFILE_ID" VARCHAR`),
      ),
    );
    expect(boundValue(mergeInto(sf, 'TRACKS'), 'PROFILE_ID')).toBe(PROFILE);
    const discard = mergeInto(sf, 'DISCARDS');
    expect(discard.statement).toContain('AS "PROFILE_ID"');
    expect(Object.values(discard.bindings!).map((b) => b.value)).toEqual(expect.arrayContaining(['m-new', 'item_count', 'many', PROFILE]));
  });

  test('erasure by profile id alone deletes by "PROFILE_ID" only, on every table that has the column', async () => {
    const { sf, harness } = fakeSnowflake();
    expect((await harness.run(event({ profileId: PROFILE }))).results).toEqual([{ status: 'ok' }]);
    // A table no event has been written to since the upgrade: it has no PROFILE_ID, so it holds no profile's rows.
    sf.tables.set(
      'PAGES',
      new Map([
        ['ID', 'VARCHAR'],
        ['USER_ID', 'VARCHAR'],
      ]),
    );
    expect((await harness.runDelete({ profile_id: PROFILE })).result).toEqual({ status: 'ok' });
    const deletes = sf.calls.filter((c) => c.statement.startsWith('DELETE'));
    expect(deletes.map((d) => d.statement).sort()).toEqual([
      'DELETE FROM "ANALYTICS"."SWITCHYARD"."ORDER_COMPLETED" WHERE "PROFILE_ID" IN (?)',
      'DELETE FROM "ANALYTICS"."SWITCHYARD"."TRACKS" WHERE "PROFILE_ID" IN (?)',
    ]);
    for (const d of deletes) expect(d.bindings).toEqual({ 1: { type: 'TEXT', value: PROFILE } });
  });

  test('export by profile id selects the rows whose PROFILE_ID matches and returns them', async () => {
    const sf = createFakeSnowflake((call) =>
      call.statement.startsWith('SELECT * FROM "ANALYTICS"."SWITCHYARD"."TRACKS"')
        ? [
            200,
            {
              code: '090001',
              statementHandle: 'export-1',
              resultSetMetaData: { rowType: [{ name: 'ID' }, { name: 'PROFILE_ID' }], partitionInfo: [{}] },
              data: [['m-p', PROFILE]],
            },
          ]
        : undefined,
    );
    const harness = connect().respond(sf.respond);
    expect((await harness.run(event({ messageId: 'm-p', profileId: PROFILE }))).results).toEqual([{ status: 'ok' }]);
    const { result, records } = await harness.runExport({ profile_id: PROFILE });
    expect(result).toEqual({ status: 'ok' });
    const selects = sf.calls.filter((c) => c.statement.startsWith('SELECT * FROM'));
    expect(selects.map((s) => s.statement).sort()).toEqual([
      'SELECT * FROM "ANALYTICS"."SWITCHYARD"."ORDER_COMPLETED" WHERE "PROFILE_ID" IN (?)',
      'SELECT * FROM "ANALYTICS"."SWITCHYARD"."TRACKS" WHERE "PROFILE_ID" IN (?)',
    ]);
    for (const s of selects) expect(s.bindings).toEqual({ 1: { type: 'TEXT', value: PROFILE } });
    expect(records).toEqual([{ source: 'tracks', data: { id: 'm-p', profile_id: PROFILE } }]);
  });
});
