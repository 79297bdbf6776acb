// The Measurement Protocol and the User Deletion API as Google documents them, which the stubs check:
// https://developers.google.com/analytics/devguides/collection/protocol/ga4/sending-events (POST /mp/collect with
// measurement_id and api_secret, client_id, events) and its reference's limits and reserved names;
// https://developers.google.com/analytics/devguides/config/admin/v1/rest/v1alpha/properties/submitUserDeletion
// (one identifier per request, the analytics.edit scope, a service-account token from oauth2.googleapis.com).
import { checkManifest, egressFor, forgetServiceAccountTokens, regionsFor } from '@switchyard/sdk-kit';
import { buildPage, buildTrack, createTestHarness } from '@switchyard/sdk-kit/testing';
import connector from '../src/index.js';
import { adminApi, API_SECRET, collectApi, MEASUREMENT_ID, PROPERTY_ID, SERVICE_ACCOUNT_KEY, tokenApi } from './ga4-stub.js';

const settings = { measurementId: MEASUREMENT_ID, apiSecret: API_SECRET, propertyId: PROPERTY_ID, serviceAccountKey: SERVICE_ACCOUNT_KEY };
const recent = (hoursAgo: number) => new Date(Date.now() - hoursAgo * 3600_000).toISOString();

function ga4(extra: Record<string, unknown> = {}) {
  const kept: Array<{ client_id: string; user_id?: string; event: Record<string, unknown> }> = [];
  const harness = createTestHarness(connector, { settings: { ...settings, ...extra } })
    .intercept('www.google-analytics.com', collectApi(kept))
    .intercept('oauth2.googleapis.com', tokenApi)
    .intercept('analyticsadmin.googleapis.com', adminApi);
  return { harness, kept };
}
afterEach(() => forgetServiceAccountTokens());

test("the manifest passes the router's checks; the EU region collects on region1.google-analytics.com", () => {
  expect(checkManifest(connector)).toEqual([]);
  const eu = createTestHarness(connector, { settings: { ...settings, region: 'eu' } }).connection;
  expect(egressFor(connector as never, eu.settings)).toEqual(['region1.google-analytics.com', 'oauth2.googleapis.com', 'analyticsadmin.googleapis.com']);
  expect(regionsFor(connector as never, eu.settings)).toEqual(['eu']);
});

test('track and page events become GA4 events: recommended names, snake_case otherwise, page_view with the page', async () => {
  const { harness, kept } = ga4();
  const at = recent(1);
  const { requests, results } = await harness.run([
    {
      ...buildTrack({ event: 'Order Completed', userId: 'u-1', anonymousId: 'c-1', timestamp: at }),
      properties: { currency: 'EUR', value: 30, coupon: { nested: true } },
    },
    buildTrack({ event: 'Video Played (HD)', userId: 'u-1', anonymousId: 'c-1', timestamp: at, properties: {} }),
    buildPage({ userId: undefined, anonymousId: 'c-2', timestamp: at, context: { page: { url: 'https://example.com/pricing', title: 'Pricing' } } as never }),
  ]);
  expect(results).toEqual([{ status: 'ok' }, { status: 'ok' }, { status: 'ok' }]);
  expect(requests.map((r) => new URL(r.url).search)).toEqual([`?measurement_id=${MEASUREMENT_ID}&api_secret=${API_SECRET}`, expect.any(String)]);
  expect(kept.map((k) => [k.client_id, k.user_id, k.event.name])).toEqual([
    ['c-1', 'u-1', 'purchase'],
    ['c-1', 'u-1', 'video_played_hd'],
    ['c-2', undefined, 'page_view'],
  ]);
  expect(kept[0]!.event).toEqual({ name: 'purchase', params: { currency: 'EUR', value: 30 }, timestamp_micros: Date.parse(at) * 1000 });
  expect(kept[2]!.event.params).toMatchObject({ page_location: 'https://example.com/pricing', page_title: 'Pricing' });
});

test('an event without a usable timestamp is sent without timestamp_micros, so Google stamps it on arrival', async () => {
  const { harness, kept } = ga4();
  const { results } = await harness.run(buildTrack({ event: 'Clicked', timestamp: 'not a date' }));
  expect(results).toEqual([{ status: 'ok' }]);
  expect(kept[0]!.event).not.toHaveProperty('timestamp_micros');
});

test('one client per request and 25 events at most', async () => {
  const { harness, kept } = ga4();
  const events = Array.from({ length: 30 }, (_, i) => buildTrack({ messageId: `m-${i}`, anonymousId: i < 27 ? 'c-1' : 'c-2', timestamp: recent(1) }));
  const { requests } = await harness.run(events);
  expect(requests.map((r) => [(r.body as { client_id: string }).client_id, (r.body as { events: unknown[] }).events.length])).toEqual([
    ['c-1', 25],
    ['c-1', 2],
    ['c-2', 3],
  ]);
  expect(kept).toHaveLength(30);
});

test('what GA would silently drop fails here instead: reserved names, over 72 hours old; no client id is skipped', async () => {
  const { harness } = ga4({ eventNames: { 'App Opened': 'first_open' } });
  const { requests, results } = await harness.run([
    buildTrack({ event: 'App Opened', timestamp: recent(1) }),
    buildTrack({ event: 'Clicked', timestamp: recent(73) }),
    buildTrack({ event: '42', timestamp: recent(1) }),
    buildTrack({ event: 'Clicked', userId: 'u-1', anonymousId: undefined, timestamp: recent(1) }),
  ]);
  expect(results).toEqual([
    expect.objectContaining({ status: 'permanent', code: 'EVENT_NAME_INVALID', message: expect.stringContaining('reserved') }),
    expect.objectContaining({ status: 'permanent', code: 'EVENT_TOO_OLD' }),
    expect.objectContaining({ status: 'permanent', code: 'EVENT_NAME_INVALID' }),
    { status: 'ok', code: 'NO_CLIENT_ID' },
  ]);
  expect(requests).toEqual([]);
});

test('parameters keep GA limits: 25 at most, strings cut to 100 characters, reserved prefixes left out', async () => {
  const { harness, kept } = ga4();
  const properties = { ga_session: 'x', _private: 1, long: 'y'.repeat(150), ...Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`p${i}`, i])) };
  await harness.run({ ...buildTrack({ event: 'Clicked', timestamp: recent(1) }), properties });
  const params = kept[0]!.event.params as Record<string, unknown>;
  expect(Object.keys(params)).toHaveLength(25);
  expect(params.long).toBe('y'.repeat(100));
  expect(params).not.toHaveProperty('ga_session');
  expect(params).not.toHaveProperty('_private');
});

test('a 5xx is retryable; the api_secret never shows in results or logs', async () => {
  const { results, logs } = await createTestHarness(connector, { settings })
    .intercept('www.google-analytics.com', () => ({ status: 503, body: 'unavailable' }))
    .run(buildTrack({ timestamp: recent(1) }));
  expect(results[0]).toMatchObject({ status: 'retryable', httpStatus: 503 });
  expect(JSON.stringify(results)).not.toContain(API_SECRET);
  expect(logs.join('\n')).not.toContain(API_SECRET);
});

test('erasure submits a user deletion for the user id and one for the client id, with a service-account token', async () => {
  const { harness } = ga4();
  const { requests, result } = await harness.runDelete({ user_id: 'u-9', anonymous_id: 'c-9', email: 'x@example.com' });
  expect(result).toEqual({ status: 'ok' });
  const admin = requests.filter((r) => r.host === 'analyticsadmin.googleapis.com');
  expect(admin.map((r) => [r.url, r.body])).toEqual([
    [`https://analyticsadmin.googleapis.com/v1alpha/properties/${PROPERTY_ID}:submitUserDeletion`, { userId: 'u-9' }],
    [`https://analyticsadmin.googleapis.com/v1alpha/properties/${PROPERTY_ID}:submitUserDeletion`, { clientId: 'c-9' }],
  ]);
  expect(requests.filter((r) => r.host === 'oauth2.googleapis.com')).toHaveLength(1);
});

test('erasure without deletion settings fails permanently; a refused key is an authentication failure', async () => {
  const { propertyId: _p, serviceAccountKey: _k, ...collectOnly } = settings;
  const missing = await createTestHarness(connector, { settings: collectOnly }).runDelete({ user_id: 'u-9' });
  expect(missing.result).toMatchObject({ status: 'permanent', code: 'NO_DELETION_CREDENTIALS' });

  const otherKey = JSON.stringify({
    ...JSON.parse(SERVICE_ACCOUNT_KEY),
    private_key: (await import('node:crypto'))
      .generateKeyPairSync('rsa', { modulusLength: 2048 })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString(),
  });
  const refused = await ga4({ serviceAccountKey: otherKey }).harness.runDelete({ user_id: 'u-9' });
  expect(refused.result).toMatchObject({ status: 'authentication', code: 'GA4_TOKEN_REFUSED', message: expect.stringContaining('Invalid JWT Signature') });
  expect(refused.result.message).not.toContain('PRIVATE KEY');
});
