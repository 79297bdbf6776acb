import { createHash } from 'node:crypto';
import { buildAudience, createTestHarness, type CapturedRequest, type Responder } from '@switchyard/sdk-kit/testing';
import connector from '../src/index.js';

const TOKEN = 'EAAaudiencetoken123456';
const settings = { audienceId: '23850000000000001', accessToken: TOKEN, apiVersion: 'v24.0' };
const USERS = 'https://graph.facebook.com/v24.0/23850000000000001/users';
const OK = { audience_id: '23850000000000001', session_id: '9778993', num_received: 1, num_invalid_entries: 0, invalid_entry_samples: {} };
const sha256 = (value: string) => createHash('sha256').update(value, 'utf8').digest('hex');
const graph = (answer: Responder = () => ({ status: 200, body: OK })) => createTestHarness(connector, { settings }).intercept('graph.facebook.com', answer);
type UsersBody = { payload: { schema: string[]; data: string[][] }; access_token: string };
const bodyOf = (r: CapturedRequest) => r.body as UsersBody;

/** A person with exactly these identities. */
const person = (id: string, identities: Record<string, string>, audience: Parameters<typeof buildAudience>[0]['audience'] = {}) => ({
  ...buildAudience({ messageId: `m-${id}`, profileId: id, userId: undefined, anonymousId: undefined, audience }),
  identities,
});

test('adds people with POST /{audience_id}/users: hashed EMAIL and PHONE, raw MADID and EXTERN_ID, one row each', async () => {
  const { requests, results } = await graph().run([
    person('1', { email: ' Ann@Example.com', phone: '+44 20 7946 0958', ios_idfa: '6D92078A-8246-4BA4-AE5B-76104861E7DC', user_id: 'u-1' }),
    person('2', { email: 'bob@example.com', anonymous_id: 'anon-2' }),
  ]);
  expect(results).toEqual([{ status: 'ok' }, { status: 'ok' }]);
  expect(requests).toHaveLength(1);
  expect(requests[0]).toMatchObject({ method: 'POST', url: USERS });
  expect(bodyOf(requests[0]!)).toEqual({
    access_token: TOKEN,
    session: { session_id: expect.any(Number), batch_seq: 1, last_batch_flag: true, estimated_num_total: 2 },
    payload: {
      schema: ['EXTERN_ID', 'EMAIL', 'PHONE', 'MADID'],
      data: [
        ['u-1', sha256('ann@example.com'), sha256('442079460958'), '6d92078a-8246-4ba4-ae5b-76104861e7dc'],
        ['', sha256('bob@example.com'), '', ''],
      ],
    },
  });
});

test('removes people with DELETE on the same edge, and a sync may name its own audience', async () => {
  const { requests } = await graph().run([
    person('1', { email: 'a@example.com' }, { action: 'remove' }),
    person('2', { android_aaid: '38400000-8CF0-11BD-B23E-10B96E40000D' }, { action: 'remove', sync: { audienceId: '23850000000000777' } }),
  ]);
  expect(requests.map((r) => [r.method, r.url, bodyOf(r).payload])).toEqual([
    ['DELETE', USERS, { schema: ['EMAIL'], data: [[sha256('a@example.com')]] }],
    ['DELETE', 'https://graph.facebook.com/v24.0/23850000000000777/users', { schema: ['MADID'], data: [['38400000-8cf0-11bd-b23e-10b96e40000d']] }],
  ]);
});

test('never puts more than 10,000 people in one request: 10,001 people are two calls', async () => {
  const events = Array.from({ length: 10_001 }, (_, i) => person(String(i), { email: `u${i}@example.com` }));
  const { requests, results } = await graph().run(events);
  expect(requests.map((r) => bodyOf(r).payload.data.length)).toEqual([10_000, 1]);
  expect(results.every((r) => r.status === 'ok' && r.code === undefined)).toBe(true);
});

test('people with no identifier Meta accepts are counted unmatched and not sent', async () => {
  const { requests, results } = await graph().run([person('1', { anonymous_id: 'a-1', mpid: '99' }), person('2', { phone: '+16505551212' })]);
  expect(results).toEqual([{ status: 'ok', code: 'UNMATCHED' }, { status: 'ok' }]);
  expect(requests).toHaveLength(1);
  expect(bodyOf(requests[0]!).payload).toEqual({ schema: ['PHONE'], data: [[sha256('16505551212')]] });
});

test('a 429 waits for Retry-After and Graph throttling codes are rate_limited, without the token in errors or logs', async () => {
  const limited = await graph(() => ({ status: 429, headers: { 'retry-after': '60' }, body: 'Too Many Requests' })).run(
    person('1', { email: 'a@example.com' }),
  );
  expect(limited.results[0]).toMatchObject({ status: 'rate_limited', retryAfterMs: 60_000 });

  const throttled = await graph(() => ({
    status: 400,
    headers: { 'x-business-use-case-usage': JSON.stringify({ '1010': [{ estimated_time_to_regain_access: 5 }] }) },
    body: { error: { message: `User request limit reached (token ${TOKEN})`, code: 17 } },
  })).run(person('1', { email: 'a@example.com' }));
  expect(throttled.results[0]).toMatchObject({ status: 'rate_limited', code: 'GRAPH_17', retryAfterMs: 300_000 });
  for (const run of [limited, throttled]) {
    expect(run.results[0]!.message).not.toContain(TOKEN);
    expect(run.logs.join('\n')).not.toContain(TOKEN);
  }
});

test('refuses a sync whose audience id is not a Meta id, without calling Meta', async () => {
  const { requests, results } = await graph().run(person('1', { email: 'a@example.com' }, { sync: { audienceId: 'vip list' } }));
  expect(requests).toHaveLength(0);
  expect(results[0]).toMatchObject({ status: 'permanent', code: 'SYNC_SETTINGS_INVALID', message: 'audience.sync.audienceId: must match pattern "^[0-9]+$"' });
});
