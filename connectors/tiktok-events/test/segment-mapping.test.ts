import { createHash } from 'node:crypto';
import { buildAudience, createTestHarness, type CapturedRequest, type MockResponse } from '@switchyard/sdk-kit/testing';
import connector from '../src/index.js';

const MARKETING_TOKEN = 'tiktok-marketing-token-987654';
const settings = {
  pixelCode: 'C4ABCDEF12345',
  accessToken: 'tiktok-access-token-123456',
  advertiserId: '7178918106775994370',
  marketingAccessToken: MARKETING_TOKEN,
};
const MAPPING = 'https://business-api.tiktok.com/open_api/v1.3/segment/mapping/';
const OK = { code: 0, message: 'OK', request_id: 'r-1', data: {} };
const sha256 = (value: string) => createHash('sha256').update(value, 'utf8').digest('hex');
const tiktok = (answer: MockResponse = { status: 200, body: OK }, extra: Record<string, unknown> = {}) =>
  createTestHarness(connector, { settings: { ...settings, ...extra } }).intercept('business-api.tiktok.com', () => answer);

function bodies(requests: CapturedRequest[]): any[] {
  for (const request of requests) expect(request).toMatchObject({ method: 'POST', url: MAPPING, headers: { 'access-token': MARKETING_TOKEN } });
  return requests.map((r) => r.body);
}

/** A person with exactly these identities. */
const person = (id: string, identities: Record<string, string>, action: 'add' | 'remove' = 'add') => ({
  ...buildAudience({ messageId: `m-${id}`, profileId: id, userId: undefined, anonymousId: undefined, audience: { action, sync: { audienceId: '167290896' } } }),
  identities,
});

test('maps people into the audience segment: one row each, a column per id type used, {} where a person has none', async () => {
  const { requests, results } = await tiktok().run([
    person('1', { email: ' Jane@Example.com ', ios_idfa: '6D92078A-8246-4BA4-AE5B-76104861E7DC' }),
    person('2', { phone: '+1 (650) 555-1212', user_id: 'u-2' }),
  ]);
  expect(results).toEqual([{ status: 'ok' }, { status: 'ok' }]);
  const audience_ids = ['167290896'];
  expect(bodies(requests)).toEqual([
    {
      advertiser_ids: ['7178918106775994370'],
      action: 'add',
      id_schema: ['EMAIL_SHA256', 'PHONE_SHA256', 'IDFA_SHA256'],
      batch_data: [
        [{ id: sha256('jane@example.com'), audience_ids }, {}, { id: sha256('6d92078a-8246-4ba4-ae5b-76104861e7dc'), audience_ids }],
        [{}, { id: sha256('+16505551212'), audience_ids }, {}],
      ],
    },
  ]);
});

test('removes people with action "delete", and Android advertising ids as GAID_SHA256', async () => {
  const { requests } = await tiktok().run(person('1', { android_aaid: '38400000-8CF0-11BD-B23E-10B96E40000D' }, 'remove'));
  expect(bodies(requests)[0]).toMatchObject({
    action: 'delete',
    id_schema: ['GAID_SHA256'],
    batch_data: [[{ id: sha256('38400000-8cf0-11bd-b23e-10b96e40000d'), audience_ids: ['167290896'] }]],
  });
});

test('sends at most 1,000 people a request; people without an email, phone or advertising id are unmatched', async () => {
  const events = [
    person('x', { user_id: 'u-x', anonymous_id: 'a-x' }),
    ...Array.from({ length: 1001 }, (_, i) => person(String(i), { email: `u${i}@example.com` })),
  ];
  const { requests, results } = await tiktok().run(events);
  expect(results[0]).toEqual({ status: 'ok', code: 'UNMATCHED' });
  expect(bodies(requests).map((b) => b.batch_data.length)).toEqual([1000, 1]);
});

test('TikTok codes in a 200 follow the retry contract; a 429 honours Retry-After; tokens never show', async () => {
  const throttled = await tiktok({ status: 200, body: { code: 40100, message: `Too many requests (${MARKETING_TOKEN})`, request_id: 'r-2' } }).run(
    person('1', { email: 'a@example.com' }),
  );
  expect(throttled.results[0]).toMatchObject({ status: 'rate_limited', code: 'TIKTOK_40100' });
  const revoked = await tiktok({ status: 200, body: { code: 40105, message: 'Access token is incorrect or has been revoked.' } }).run(
    person('1', { email: 'a@example.com' }),
  );
  expect(revoked.results[0]).toMatchObject({ status: 'authentication', code: 'TIKTOK_40105' });
  const limited = await tiktok({ status: 429, headers: { 'retry-after': '20' }, body: 'slow down' }).run(person('1', { email: 'a@example.com' }));
  expect(limited.results[0]).toMatchObject({ status: 'rate_limited', retryAfterMs: 20_000 });
  for (const run of [throttled, revoked, limited]) {
    for (const token of [MARKETING_TOKEN, settings.accessToken]) {
      expect(run.results[0]!.message).not.toContain(token);
      expect(run.logs.join('\n')).not.toContain(token);
    }
  }
});

test('a connection without an advertiser and a Marketing API token refuses audience syncs without calling TikTok', async () => {
  const { requests, results } = await tiktok(undefined, { advertiserId: undefined, marketingAccessToken: undefined }).run(
    person('1', { email: 'a@example.com' }),
  );
  expect(requests).toHaveLength(0);
  expect(results[0]).toMatchObject({ status: 'permanent', code: 'AUDIENCES_NOT_CONFIGURED' });
});
