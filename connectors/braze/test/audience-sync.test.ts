import { buildAudience, createTestHarness, type CapturedRequest, type MockResponse } from '@switchyard/sdk-kit/testing';
import connector from '../src/index.js';

const API_KEY = 'braze-api-key-0123456789';
const settings = { apiKey: API_KEY, restEndpoint: 'https://rest.iad-01.braze.com' };
const TRACK = 'https://rest.iad-01.braze.com/users/track';
const success = { message: 'success', attributes_processed: 1 };
const braze = (answer: MockResponse = { status: 201, body: success }) =>
  createTestHarness(connector, { settings }).intercept('rest.iad-01.braze.com', () => answer);

function attributes(requests: CapturedRequest[]): unknown[][] {
  for (const request of requests) expect(request).toMatchObject({ method: 'POST', url: TRACK, headers: { authorization: `Bearer ${API_KEY}` } });
  return requests.map((r) => (r.body as { attributes: unknown[] }).attributes);
}

/** A person with exactly these identities. */
const person = (id: string, identities: Record<string, string>, audience: Parameters<typeof buildAudience>[0]['audience'] = {}) => ({
  ...buildAudience({ messageId: `m-${id}`, profileId: id, userId: undefined, anonymousId: undefined, audience }),
  identities,
});

test('sets a boolean custom attribute named after the audience: true on add, false on remove, by external_id, else email, else phone', async () => {
  const { requests, results } = await braze().run([
    person('1', { user_id: 'u-1', email: 'a@example.com' }),
    person('2', { email: ' B@Example.com ', phone: '+1 650 555 1212' }),
    person('3', { phone: '+44 20 7946 0958' }),
    person('4', { user_id: 'u-4' }, { action: 'remove' }),
  ]);
  expect(results.every((r) => r.status === 'ok' && r.code === undefined)).toBe(true);
  expect(attributes(requests)).toEqual([
    [
      { external_id: 'u-1', vip_customers: true },
      { email: 'b@example.com', vip_customers: true },
      { phone: '+442079460958', vip_customers: true },
    ],
    [{ external_id: 'u-4', vip_customers: false }],
  ]);
});

test('in array mode adds the audience key to an array attribute and removes it; a sync may name the attribute', async () => {
  const sync = { mode: 'array', attribute: 'segments', updateExistingOnly: true };
  const { requests } = await braze().run([
    person('1', { user_id: 'u-1' }, { sync }),
    person('2', { user_id: 'u-2' }, { sync, action: 'remove' }),
    person('3', { user_id: 'u-3' }, { sync: { mode: 'array' } }),
  ]);
  expect(attributes(requests)).toEqual([
    [{ external_id: 'u-1', _update_existing_only: true, segments: { add: ['vip_customers'] } }],
    [{ external_id: 'u-2', _update_existing_only: true, segments: { remove: ['vip_customers'] } }],
    [{ external_id: 'u-3', audiences: { add: ['vip_customers'] } }],
  ]);
});

test('puts at most 75 people in one request, and people Braze cannot identify are unmatched', async () => {
  const events = [person('x', { anonymous_id: 'a-x', ios_idfa: 'AAAA' }), ...Array.from({ length: 76 }, (_, i) => person(String(i), { user_id: `u-${i}` }))];
  const { requests, results } = await braze().run(events);
  expect(results[0]).toEqual({ status: 'ok', code: 'UNMATCHED' });
  expect(attributes(requests).map((a) => a.length)).toEqual([75, 1]);
});

test("a person Braze drops (a minor error) fails alone; a 429 waits until Braze's reset time without leaking the key", async () => {
  const minor = await braze({
    status: 201,
    body: { message: 'success', errors: [{ type: "'external_id' is invalid", input_array: 'attributes', index: 1 }] },
  }).run([person('1', { user_id: 'u-1' }), person('2', { user_id: 'bad id' })]);
  expect(minor.results.map((r) => [r.status, r.code])).toEqual([
    ['ok', undefined],
    ['permanent', 'BRAZE_MINOR_ERROR'],
  ]);

  const reset = Math.ceil(Date.now() / 1000) + 30;
  const limited = await braze({ status: 429, headers: { 'x-ratelimit-reset': String(reset) }, body: { message: `rate limited ${API_KEY}` } }).run(
    person('1', { user_id: 'u-1' }),
  );
  expect(limited.results[0]).toMatchObject({ status: 'rate_limited', code: 'HTTP_429' });
  expect(limited.results[0]!.retryAfterMs).toBeGreaterThan(25_000);
  expect(limited.results[0]!.message).not.toContain(API_KEY);
  expect(limited.logs.join('\n')).not.toContain(API_KEY);

  const proxied = await braze({ status: 429, headers: { 'retry-after': '8' } }).run(person('1', { user_id: 'u-1' }));
  expect(proxied.results[0]).toMatchObject({ status: 'rate_limited', retryAfterMs: 8_000 });
});
