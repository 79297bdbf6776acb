import { createHash } from 'node:crypto';
import { buildAudience, createTestHarness, type CapturedRequest, type MockResponse } from '@switchyard/sdk-kit/testing';
import connector from '../src/index.js';

const SECRETS = {
  accessToken: 'snap-capi-token-abcdef123',
  marketingClientSecret: 'snap-client-secret-xyz',
  marketingRefreshToken: 'snap-refresh-token-0123456',
};
const settings = { pixelId: '0d2f1c4e-5a6b-4c7d-8e9f-0a1b2c3d4e5f', marketingClientId: 'snap-client-1', ...SECRETS };
const USERS = 'https://adsapi.snapchat.com/v1/segments/5677923948298240/users';
const TOKEN_URL = 'https://accounts.snapchat.com/login/oauth2/access_token';
const sha256 = (value: string) => createHash('sha256').update(value, 'utf8').digest('hex');
const OK = { request_status: 'SUCCESS', request_id: 'r-1', users: [{ sub_request_status: 'SUCCESS', user: { number_uploaded_users: 1 } }] };

/** A fake Snap: the OAuth token endpoint, then the segment users endpoint answering `answer` (or each in turn). */
function snap(...answers: MockResponse[]) {
  return createTestHarness(connector, { settings }).respond((request) => {
    if (request.url === TOKEN_URL) return { body: { access_token: 'snap-access', expires_in: 1800, refresh_token: SECRETS.marketingRefreshToken } };
    return answers.length > 1 ? answers.shift()! : (answers[0] ?? { status: 200, body: OK });
  });
}
const segmentCalls = (requests: CapturedRequest[]) =>
  requests
    .filter((r) => r.host === 'adsapi.snapchat.com')
    .map((r) => {
      expect(r.headers.authorization).toBe('Bearer snap-access');
      return [r.method, r.url, r.body];
    });

/** A person with exactly these identities. */
const person = (id: string, identities: Record<string, string>, audience: Parameters<typeof buildAudience>[0]['audience'] = {}) => ({
  ...buildAudience({
    messageId: `m-${id}`,
    profileId: id,
    userId: undefined,
    anonymousId: undefined,
    audience: { ...audience, sync: { segmentId: '5677923948298240', ...audience.sync } },
  }),
  identities,
});

test('adds people to the segment with POST /v1/segments/{id}/users: one schema, SHA-256 of each lower-cased email', async () => {
  const { requests, results } = await snap().run([
    person('1', { email: ' Ann@Example.com ', phone: '+16505551212' }),
    person('2', { email: 'bob@example.com' }),
  ]);
  expect(results).toEqual([{ status: 'ok' }, { status: 'ok' }]);
  expect(segmentCalls(requests)).toEqual([
    ['POST', USERS, { users: [{ schema: ['EMAIL_SHA256'], data: [[sha256('ann@example.com')], [sha256('bob@example.com')]] }] }],
  ]);
  const [token] = requests.filter((r) => r.url === TOKEN_URL).map((r) => Object.fromEntries(new URLSearchParams(String(r.body))));
  expect(token).toEqual({
    grant_type: 'refresh_token',
    client_id: 'snap-client-1',
    client_secret: SECRETS.marketingClientSecret,
    refresh_token: SECRETS.marketingRefreshToken,
  });
});

test('removes with DELETE and the segment id in the users entry; phone and mobile-ad-id segments hash those', async () => {
  const { requests } = await snap().run([
    person('1', { email: 'a@example.com' }, { action: 'remove' }),
    person('2', { phone: '+1 (650) 555-1212', email: 'b@example.com' }, { sync: { segmentId: '5677923948298240', identifier: 'phone' } }),
    person('3', { android_aaid: '38400000-8CF0-11BD-B23E-10B96E40000D' }, { sync: { segmentId: '5677923948298240', identifier: 'mobile_ad_id' } }),
  ]);
  expect(segmentCalls(requests)).toEqual([
    ['DELETE', USERS, { users: [{ id: '5677923948298240', schema: ['EMAIL_SHA256'], data: [[sha256('a@example.com')]] }] }],
    ['POST', USERS, { users: [{ schema: ['PHONE_SHA256'], data: [[sha256('16505551212')]] }] }],
    ['POST', USERS, { users: [{ schema: ['MOBILE_AD_ID_SHA256'], data: [[sha256('38400000-8cf0-11bd-b23e-10b96e40000d')]] }] }],
  ]);
});

test("people without the segment's identifier type are unmatched and not sent", async () => {
  const { requests, results } = await snap().run([person('1', { phone: '+16505551212', user_id: 'u-1' }), person('2', { email: 'b@example.com' })]);
  expect(results).toEqual([{ status: 'ok', code: 'UNMATCHED' }, { status: 'ok' }]);
  expect(segmentCalls(requests)).toHaveLength(1);
});

test('sends at most 100,000 people a request', async () => {
  const events = Array.from({ length: 100_001 }, (_, i) => person(String(i), { email: `u${i}@example.com` }));
  const { requests } = await snap().run(events);
  expect(segmentCalls(requests).map(([, , body]) => (body as { users: Array<{ data: unknown[] }> }).users[0]!.data.length)).toEqual([100_000, 1]);
}, 60_000);

test('a 429 honours Retry-After; a refused access token is replaced once; secrets never show', async () => {
  const limited = await snap({ status: 429, headers: { 'retry-after': '40' }, body: { request_status: 'ERROR', debug_message: 'Too many requests' } }).run(
    person('1', { email: 'a@example.com' }),
  );
  expect(limited.results[0]).toMatchObject({ status: 'rate_limited', retryAfterMs: 40_000 });

  const refused = snap({ status: 401, body: { request_status: 'ERROR', debug_message: 'Unauthorized' } }, { status: 200, body: OK });
  const retried = await refused.run(person('1', { email: 'a@example.com' }));
  expect(retried.results[0]).toEqual({ status: 'ok' });
  expect(retried.requests.filter((r) => r.url === TOKEN_URL)).toHaveLength(2);

  const revoked = await createTestHarness(connector, { settings })
    .respond((request) =>
      request.url === TOKEN_URL ? { status: 400, body: { error: 'invalid_grant', error_description: 'Invalid refresh token' } } : { body: OK },
    )
    .run(person('1', { email: 'a@example.com' }));
  expect(revoked.results[0]).toMatchObject({ status: 'authentication', code: 'OAUTH_INVALID_GRANT' });
  for (const run of [limited, retried, revoked]) {
    for (const secret of Object.values(SECRETS)) {
      expect(run.results[0]!.message ?? '').not.toContain(secret);
      expect(run.logs.join('\n')).not.toContain(secret);
    }
  }
});

test('a connection without Marketing API credentials refuses audience syncs without calling Snap', async () => {
  const { requests, results } = await createTestHarness(connector, { settings: { pixelId: settings.pixelId, accessToken: SECRETS.accessToken } }).run(
    person('1', { email: 'a@example.com' }),
  );
  expect(requests).toHaveLength(0);
  expect(results[0]).toMatchObject({ status: 'permanent', code: 'AUDIENCES_NOT_CONFIGURED' });
});
