// Customer.io's Track API v1 as documented, which the stub checks:
// https://docs.customer.io/api/track/ (PUT /api/v1/customers/{id}, POST .../events, POST /api/v1/events, DELETE and
// POST .../suppress, basic auth site ID:API key, track-eu for EU workspaces) and
// https://docs.customer.io/journeys/invalid-api-requests (400 { meta: { error } } and the limits behind it).
import { checkManifest, egressFor, regionsFor } from '@switchyard/sdk-kit';
import { buildIdentify, buildTrack, createTestHarness } from '@switchyard/sdk-kit/testing';
import connector from '../src/index.js';
import { API_KEY, SITE_ID, trackApi } from './customerio-stub.js';

const settings = { siteId: SITE_ID, apiKey: API_KEY };
const TIME = '2026-11-20T10:00:00.000Z';
const SECONDS = Date.parse(TIME) / 1000;

function customerio(extra: Record<string, unknown> = {}) {
  const people = new Map<string, Record<string, unknown>>();
  const suppressed = new Set<string>();
  const harness = createTestHarness(connector, { settings: { ...settings, ...extra } }).intercept('track.customer.io', trackApi(people, suppressed));
  return { harness, people, suppressed };
}
const calls = (requests: Array<{ method: string; url: string; body: unknown }>) => requests.map((r) => [r.method, r.url, r.body]);

test("the manifest passes the router's checks; EU workspaces call track-eu.customer.io only", () => {
  expect(checkManifest(connector)).toEqual([]);
  const eu = createTestHarness(connector, { settings: { ...settings, region: 'eu' } }).connection;
  expect(egressFor(connector as never, eu.settings)).toEqual(['track-eu.customer.io']);
  expect(regionsFor(connector as never, eu.settings)).toEqual(['eu']);
});

test('identify creates or updates the person by id, with the email lower-cased and created_at in unix seconds', async () => {
  const { harness, people } = customerio();
  const { requests, results } = await harness.run({
    ...buildIdentify({ userId: 'user/1' }),
    traits: { email: ' Ann@Example.COM ', createdAt: TIME, plan: 'pro' },
  });
  expect(results).toEqual([{ status: 'ok' }]);
  expect(calls(requests)).toEqual([
    ['PUT', 'https://track.customer.io/api/v1/customers/user%2F1', { plan: 'pro', email: 'ann@example.com', created_at: SECONDS }],
  ]);
  expect(people.get('user/1')).toEqual({ plan: 'pro', email: 'ann@example.com', created_at: SECONDS });
});

test('track events go to the person, or by anonymous_id when there is no user id; neither means nothing is sent', async () => {
  const { harness } = customerio();
  const { requests, results } = await harness.run([
    { ...buildTrack({ event: 'Video Played', userId: 'u-1', timestamp: TIME }), properties: { length: 30 } },
    { ...buildTrack({ event: 'Pricing Viewed', userId: undefined, anonymousId: 'anon-7', timestamp: TIME }), properties: {} },
    buildTrack({ userId: undefined, anonymousId: undefined }),
  ]);
  expect(results).toEqual([{ status: 'ok' }, { status: 'ok' }, { status: 'ok' }]);
  expect(calls(requests)).toEqual([
    ['POST', 'https://track.customer.io/api/v1/customers/u-1/events', { name: 'Video Played', data: { length: 30 }, timestamp: SECONDS }],
    ['POST', 'https://track.customer.io/api/v1/events', { name: 'Pricing Viewed', data: {}, timestamp: SECONDS, anonymous_id: 'anon-7' }],
  ]);
});

test("a refused request fails permanently with Customer.io's reason; a wrong key is an authentication failure without the key", async () => {
  const { harness } = customerio();
  const tooMany = Object.fromEntries(Array.from({ length: 301 }, (_, i) => [`a${i}`, i]));
  const { results } = await harness.run({ ...buildIdentify({ userId: 'u-2' }), traits: tooMany });
  expect(results[0]).toMatchObject({ status: 'permanent', httpStatus: 400, message: expect.stringContaining('more than 300 attributes') });

  const denied = await createTestHarness(connector, { settings: { siteId: SITE_ID, apiKey: 'cio-wrong-key-000000' } })
    .intercept('track.customer.io', trackApi())
    .run(buildTrack({ userId: 'u-1' }));
  expect(denied.results[0]).toMatchObject({ status: 'authentication', httpStatus: 401 });
  expect(denied.results[0]!.message).not.toContain('cio-wrong-key-000000');
  expect(denied.logs.join('\n')).not.toContain('cio-wrong-key-000000');
});

test('a 429 waits for Retry-After', async () => {
  const { results } = await createTestHarness(connector, { settings })
    .intercept('track.customer.io', () => ({ status: 429, headers: { 'retry-after': '3' }, body: { meta: { error: 'rate limited' } } }))
    .run(buildTrack({ userId: 'u-1' }));
  expect(results[0]).toMatchObject({ status: 'rate_limited', retryAfterMs: 3000 });
});

test('erasure suppresses the person by user id, so later identifies are dropped; or only deletes them when told to', async () => {
  const { harness, people, suppressed } = customerio();
  await harness.run(buildIdentify({ userId: 'u-9' }));
  expect(people.has('u-9')).toBe(true);
  const { requests, result } = await harness.runDelete({ user_id: 'u-9', email: 'x@example.com' });
  expect(result).toEqual({ status: 'ok' });
  expect(calls(requests)).toEqual([['POST', 'https://track.customer.io/api/v1/customers/u-9/suppress', undefined]]);
  expect(people.has('u-9')).toBe(false);
  expect(suppressed.has('u-9')).toBe(true);
  await harness.run(buildIdentify({ userId: 'u-9' }));
  expect(people.has('u-9')).toBe(false);

  const onlyDelete = customerio({ suppressOnDelete: false });
  await onlyDelete.harness.run(buildIdentify({ userId: 'u-8' }));
  const deleted = await onlyDelete.harness.runDelete({ email: 'x@example.com' });
  expect(calls(deleted.requests)).toEqual([['DELETE', 'https://track.customer.io/api/v1/customers/x%40example.com', undefined]]);
  expect(onlyDelete.suppressed.size).toBe(0);
});
