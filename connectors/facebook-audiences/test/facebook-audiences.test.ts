import nock from 'nock';
import { checkManifest } from '@switchyard/sdk-kit';
import connector from '../src/index.js';
import { connect, makeEvent, run, runDelete, sha256 } from './helpers.js';

const TOKEN = 'EAAaudiencetoken123456';
const settings = { audienceId: '23850000000000001', accessToken: TOKEN, apiVersion: 'v24.0' };
const GRAPH = 'https://graph.facebook.com';
const USERS = '/v24.0/23850000000000001/users';
const OK = { audience_id: '23850000000000001', session_id: '9778993', num_received: 1, num_invalid_entries: 0, invalid_entry_samples: {} };

beforeAll(() => { nock.disableNetConnect(); nock.enableNetConnect('127.0.0.1'); });
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

function capture(method: 'post' | 'delete', path = USERS, reply: [number, nock.Body] = [200, OK]) {
  const bodies: any[] = [];
  const scope = nock(GRAPH)[method](path, (body) => { bodies.push(body); return true; }).reply(...reply);
  return { scope, bodies };
}

const entered = (messageId: string, traits: Record<string, unknown>, audience_key = 'vip') =>
  makeEvent({ messageId, event: 'Audience Entered', userId: `u-${messageId}`, traits, properties: { audience_key } });
const exited = (messageId: string, traits: Record<string, unknown>) =>
  makeEvent({ messageId, event: 'Audience Exited', userId: `u-${messageId}`, traits, properties: { audience_key: 'vip' } });

test('the manifest passes the router\'s checks', () => {
  expect(checkManifest(connector)).toEqual([]);
});

test('adds entered users with a multi-key schema of hashed values, one row per user', async () => {
  const { scope, bodies } = capture('post');
  const results = await run(connect(connector, settings), [
    entered('m1', { email: ' Ann@Example.com', phone: '+44 20 7946 0958', firstName: 'Ann', lastName: 'Lee' }),
    entered('m2', { email: 'bob@example.com' }),
  ]);
  scope.done();
  expect(results).toEqual([{ status: 'ok' }, { status: 'ok' }]);
  expect(bodies[0].access_token).toBe(TOKEN);
  expect(bodies[0].payload).toEqual({
    schema: ['EXTERN_ID', 'EMAIL', 'PHONE', 'FN', 'LN'],
    data: [
      ['u-m1', sha256('ann@example.com'), sha256('442079460958'), sha256('ann'), sha256('lee')],
      ['u-m2', sha256('bob@example.com'), '', '', ''],
    ],
  });
});

test('sends adds and removes in separate requests: POST to add, DELETE to remove', async () => {
  const add = capture('post');
  const remove = capture('delete');
  const results = await run(connect(connector, settings), [
    entered('m1', { email: 'a@example.com' }), exited('m2', { email: 'b@example.com' }), entered('m3', { email: 'c@example.com' }),
  ]);
  add.scope.done();
  remove.scope.done();
  expect(results.map((r) => r.status)).toEqual(['ok', 'ok', 'ok']);
  expect(add.bodies[0].payload.data.map((row: string[]) => row[1])).toEqual([sha256('a@example.com'), sha256('c@example.com')]);
  expect(remove.bodies[0].payload.data).toEqual([['u-m2', sha256('b@example.com')]]);
});

test('takes only membership events of the configured audience key', async () => {
  const { bodies } = capture('post');
  const results = await run(connect(connector, { ...settings, audienceKey: 'vip' }), [
    entered('m1', { email: 'a@example.com' }, 'vip'),
    entered('m2', { email: 'b@example.com' }, 'churn_risk'),
    makeEvent({ messageId: 'm3', event: 'Order Completed' }),
  ]);
  expect(bodies).toHaveLength(1);
  expect(bodies[0].payload.data).toHaveLength(1);
  expect(results.map((r) => r.code)).toEqual([undefined, 'OTHER_AUDIENCE', 'NOT_SUBSCRIBED']);
});

test('a user with no identifier fails alone, without a request', async () => {
  const { bodies } = capture('post');
  const results = await run(connect(connector, settings), [
    entered('m1', { email: 'a@example.com' }), makeEvent({ messageId: 'm2', event: 'Audience Entered', userId: undefined }),
  ]);
  expect(results.map((r) => r.status)).toEqual(['ok', 'permanent']);
  expect(results[1]!.code).toBe('NO_IDENTIFIER');
  expect(bodies[0].payload.data).toHaveLength(1);
});

test('a failed remove request fails only the removes', async () => {
  capture('post');
  capture('delete', USERS, [400, { error: { message: 'Too many calls', code: 613 } }]);
  const results = await run(connect(connector, settings), [
    entered('m1', { email: 'a@example.com' }), exited('m2', { email: 'b@example.com' }),
  ]);
  expect(results.map((r) => r.status)).toEqual(['ok', 'rate_limited']);
});

test.each([[190, 'authentication'], [100, 'permanent'], [17, 'rate_limited']])('maps Graph error %i to %s', async (code, status) => {
  capture('post', USERS, [400, { error: { message: 'nope', type: 'OAuthException', code } }]);
  const [result] = await run(connect(connector, settings), [entered('m1', { email: 'a@example.com' })]);
  expect(result).toMatchObject({ status, code: `GRAPH_${code}` });
  expect(result!.message).not.toContain(TOKEN);
});

test('erasure removes the user from the audience by email and user id', async () => {
  const { scope, bodies } = capture('delete');
  await runDelete(connect(connector, settings), { email: 'Gone@Example.com', user_id: 'u-9' });
  scope.done();
  expect(bodies[0].payload).toEqual({ schema: ['EXTERN_ID', 'EMAIL'], data: [['u-9', sha256('gone@example.com')]] });
});

test('with an ad account, erasure removes the user from every audience of the account', async () => {
  const { scope, bodies } = capture('delete', '/v24.0/act_1010/usersofanyaudience');
  await runDelete(connect(connector, { ...settings, adAccountId: '1010' }), { email: 'gone@example.com' });
  scope.done();
  expect(bodies[0].payload).toEqual({ schema: ['EMAIL'], data: [[sha256('gone@example.com')]] });
});

test('never puts more than 10,000 users in one request', async () => {
  const sizes: number[] = [];
  nock(GRAPH).post(USERS, (b) => { sizes.push(b.payload.data.length); return true; }).times(2).reply(200, OK);
  const events = Array.from({ length: 10_001 }, (_, i) => entered(`m${i}`, { email: `u${i}@example.com` }));
  const results = await run(connect(connector, settings), events);
  expect(sizes).toEqual([10_000, 1]);
  expect(results.every((r) => r.status === 'ok')).toBe(true);
});
