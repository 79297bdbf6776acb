import { createHash } from 'node:crypto';
import { checkManifest, type CanonicalEvent } from '@switchyard/sdk-kit';
import { buildTrack, createTestHarness, type CapturedRequest, type MockResponse, type Responder } from '@switchyard/sdk-kit/testing';
import connector from '../src/index.js';

const TOKEN = 'EAAaudiencetoken123456';
const settings = { audienceId: '23850000000000001', accessToken: TOKEN, apiVersion: 'v24.0' };
const USERS = 'https://graph.facebook.com/v24.0/23850000000000001/users';
const OK = { audience_id: '23850000000000001', session_id: '9778993', num_received: 1, num_invalid_entries: 0, invalid_entry_samples: {} };
const sha256 = (value: string) => createHash('sha256').update(value, 'utf8').digest('hex');

/** A connection whose Graph API answers with `answer` (by default 200 with a session summary). */
function graph(extra: Record<string, unknown> = {}, answer: Responder = () => ({ status: 200, body: OK })) {
  return createTestHarness(connector, { settings: { ...settings, ...extra } }).intercept('graph.facebook.com', answer);
}

const byMethod =
  (answers: Record<string, MockResponse>): Responder =>
  (request) =>
    answers[request.method] ?? { status: 200, body: OK };
const sent = (requests: CapturedRequest[], method: string, url = USERS) =>
  requests.filter((r) => r.method === method && r.url === url).map((r) => r.body as any);

/** A membership event carrying only the traits given, so the rows hold exactly what the test expects. */
const membership = (event: string, messageId: string, traits: Record<string, unknown>, audience_key = 'vip'): CanonicalEvent => ({
  ...buildTrack({ messageId, event, userId: `u-${messageId}` }),
  identities: {},
  traits,
  properties: { audience_key },
});
const entered = (messageId: string, traits: Record<string, unknown>, audienceKey?: string) => membership('Audience Entered', messageId, traits, audienceKey);
const exited = (messageId: string, traits: Record<string, unknown>) => membership('Audience Exited', messageId, traits);

test("the manifest passes the router's checks", () => {
  expect(checkManifest(connector)).toEqual([]);
});

test('adds entered users with a multi-key schema of hashed values, one row per user', async () => {
  const { requests, results } = await graph().run([
    entered('m1', { email: ' Ann@Example.com', phone: '+44 20 7946 0958', firstName: 'Ann', lastName: 'Lee' }),
    entered('m2', { email: 'bob@example.com' }),
  ]);
  expect(results).toEqual([{ status: 'ok' }, { status: 'ok' }]);
  const bodies = sent(requests, 'POST');
  expect(requests).toHaveLength(1);
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
  const { requests, results } = await graph().run([
    entered('m1', { email: 'a@example.com' }),
    exited('m2', { email: 'b@example.com' }),
    entered('m3', { email: 'c@example.com' }),
  ]);
  expect(requests).toHaveLength(2);
  const [add] = sent(requests, 'POST');
  const [remove] = sent(requests, 'DELETE');
  expect(results.map((r) => r.status)).toEqual(['ok', 'ok', 'ok']);
  expect(add.payload.data.map((row: string[]) => row[1])).toEqual([sha256('a@example.com'), sha256('c@example.com')]);
  expect(remove.payload.data).toEqual([['u-m2', sha256('b@example.com')]]);
});

test('takes only membership events of the configured audience key', async () => {
  const { requests, results } = await graph({ audienceKey: 'vip' }).run([
    entered('m1', { email: 'a@example.com' }, 'vip'),
    entered('m2', { email: 'b@example.com' }, 'churn_risk'),
    buildTrack({ messageId: 'm3', event: 'Order Completed' }),
  ]);
  expect(requests).toHaveLength(1);
  expect((requests[0]!.body as any).payload.data).toHaveLength(1);
  expect(results.map((r) => r.code)).toEqual([undefined, 'OTHER_AUDIENCE', 'NOT_SUBSCRIBED']);
});

test('a user with no identifier fails alone, without a request', async () => {
  const { requests, results } = await graph().run([
    entered('m1', { email: 'a@example.com' }),
    { ...buildTrack({ messageId: 'm2', event: 'Audience Entered', userId: undefined }), identities: {}, traits: {} },
  ]);
  expect(results.map((r) => r.status)).toEqual(['ok', 'permanent']);
  expect(results[1]!.code).toBe('NO_IDENTIFIER');
  expect(requests).toHaveLength(1);
  expect((requests[0]!.body as any).payload.data).toHaveLength(1);
});

test('a failed remove request fails only the removes', async () => {
  const { results } = await graph({}, byMethod({ DELETE: { status: 400, body: { error: { message: 'Too many calls', code: 613 } } } })).run([
    entered('m1', { email: 'a@example.com' }),
    exited('m2', { email: 'b@example.com' }),
  ]);
  expect(results.map((r) => r.status)).toEqual(['ok', 'rate_limited']);
});

test.each([
  [190, 'authentication'],
  [100, 'permanent'],
  [17, 'rate_limited'],
])('maps Graph error %i to %s', async (code, status) => {
  const {
    results: [result],
    logs,
  } = await graph({}, () => ({ status: 400, body: { error: { message: 'nope', type: 'OAuthException', code } } })).run(
    entered('m1', { email: 'a@example.com' }),
  );
  expect(result).toMatchObject({ status, code: `GRAPH_${code}` });
  expect(result!.message).not.toContain(TOKEN);
  expect(logs.join('\n')).not.toContain(TOKEN);
});

test('erasure removes the user from the audience by email and user id', async () => {
  const { requests, result } = await graph().runDelete({ email: 'Gone@Example.com', user_id: 'u-9' });
  expect(result).toEqual({ status: 'ok' });
  expect(requests).toHaveLength(1);
  expect(sent(requests, 'DELETE')[0].payload).toEqual({ schema: ['EXTERN_ID', 'EMAIL'], data: [['u-9', sha256('gone@example.com')]] });
});

test('with an ad account, erasure removes the user from every audience of the account', async () => {
  const { requests, result } = await graph({ adAccountId: '1010' }).runDelete({ email: 'gone@example.com' });
  expect(result).toEqual({ status: 'ok' });
  expect(requests).toHaveLength(1);
  const [body] = sent(requests, 'DELETE', 'https://graph.facebook.com/v24.0/act_1010/usersofanyaudience');
  expect(body.payload).toEqual({ schema: ['EMAIL'], data: [[sha256('gone@example.com')]] });
});

test('never puts more than 10,000 users in one request', async () => {
  const events = Array.from({ length: 10_001 }, (_, i) => entered(`m${i}`, { email: `u${i}@example.com` }));
  const { requests, results } = await graph().run(events);
  expect(sent(requests, 'POST').map((b) => b.payload.data.length)).toEqual([10_000, 1]);
  expect(results.every((r) => r.status === 'ok')).toBe(true);
});

test("hashes a US ZIP+4 as its first five digits, as Meta's rule says, in either spelling", async () => {
  const { requests } = await graph().run([
    entered('z1', { email: 'a@example.com', address: { postalCode: '94105-1234', city: 'San Francisco', country: 'US' } }),
    entered('z2', { email: 'b@example.com', address: { postalCode: '941051234' } }),
  ]);
  const [body] = sent(requests, 'POST');
  expect(body.payload.schema).toEqual(['EXTERN_ID', 'EMAIL', 'CT', 'ZIP', 'COUNTRY']);
  expect(body.payload.data.map((row: string[]) => row[3])).toEqual([sha256('94105'), sha256('94105')]);
  expect(body.payload.data[0][2]).toBe(sha256('sanfrancisco'));
});

test('sends the upload session Meta requires with every add and remove: one batch, the last, a fresh id each', async () => {
  const { requests } = await graph().run([
    entered('s1', { email: 'a@example.com' }),
    entered('s2', { email: 'b@example.com' }),
    exited('s3', { email: 'c@example.com' }),
  ]);
  const sessions = [...sent(requests, 'POST'), ...sent(requests, 'DELETE')].map((body) => body.session);
  expect(sessions).toEqual([
    { session_id: expect.any(Number), batch_seq: 1, last_batch_flag: true, estimated_num_total: 2 },
    { session_id: expect.any(Number), batch_seq: 1, last_batch_flag: true, estimated_num_total: 1 },
  ]);
  for (const { session_id } of sessions) expect(Number.isSafeInteger(session_id) && session_id > 0).toBe(true);
  expect(sessions[0].session_id).not.toBe(sessions[1].session_id);
});
