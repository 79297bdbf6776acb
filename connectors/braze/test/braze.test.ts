import { checkManifest, egressFor, regionsFor } from '@switchyard/sdk-kit';
import { buildIdentify, buildTrack, createTestHarness, type CapturedRequest, type MockResponse } from '@switchyard/sdk-kit/testing';
import connector, { retryAfterFromReset } from '../src/index.js';

const API_KEY = 'braze-api-key-0123456789';
const settings = { apiKey: API_KEY, restEndpoint: 'https://rest.iad-01.braze.com' };
const REST = 'https://rest.iad-01.braze.com';
const TIME = '2026-11-20T10:00:00.000Z';
const success = { message: 'success', attributes_processed: 1 };

/** A connection whose Braze instance answers every request with `answer`. */
const braze = (answer: MockResponse = { status: 201, body: success }) =>
  createTestHarness(connector, { settings }).intercept('rest.iad-01.braze.com', () => answer);

/** Bodies of the users/track requests, after checking each carried the API key. */
function trackBodies(requests: CapturedRequest[]): any[] {
  for (const request of requests) {
    expect(request).toMatchObject({ method: 'POST', url: `${REST}/users/track`, headers: { authorization: `Bearer ${API_KEY}` } });
  }
  return requests.map((r) => r.body);
}

const clicked = (id: string) => buildTrack({ messageId: id, event: 'Clicked', userId: id });

test("the manifest passes the router's checks; the EU instance is an EU connection", () => {
  expect(checkManifest(connector)).toEqual([]);
  const eu = createTestHarness(connector, { settings: { apiKey: API_KEY, restEndpoint: 'https://rest.fra-01.braze.eu' } }).connection;
  expect(egressFor(connector as never, eu.settings)).toEqual(['rest.fra-01.braze.eu']);
  expect(regionsFor(connector as never, eu.settings)).toEqual(['eu']);
});

test('identify events become attributes keyed by external_id, other traits as custom attributes', async () => {
  const { requests, results } = await braze().run({
    ...buildIdentify({ userId: 'u-1' }),
    traits: { email: 'ann@example.com', firstName: 'Ann', gender: 'female', plan: 'pro', address: { city: 'Berlin', country: 'DE' } },
  });
  expect(results).toEqual([{ status: 'ok' }]);
  expect(trackBodies(requests)).toEqual([
    {
      attributes: [
        {
          external_id: 'u-1',
          email: 'ann@example.com',
          first_name: 'Ann',
          gender: 'F',
          home_city: 'Berlin',
          country: 'DE',
          plan: 'pro',
        },
      ],
    },
  ]);
});

test('track events become custom events and Order Completed becomes one purchase per product', async () => {
  const { requests, results } = await braze().run([
    { ...buildTrack({ messageId: 'e1', event: 'Video Played', userId: 'u-1', timestamp: TIME }), properties: { length: 30 } },
    {
      ...buildTrack({ messageId: 'e2', event: 'Order Completed', userId: 'u-2', timestamp: TIME }),
      properties: {
        order_id: 'o-9',
        currency: 'eur',
        products: [
          { product_id: 'sku-1', price: 10, quantity: 2 },
          { product_id: 'sku-2', price: 5 },
        ],
      },
    },
  ]);
  expect(results).toEqual([{ status: 'ok' }, { status: 'ok' }]);
  const bodies = trackBodies(requests);
  expect(bodies).toHaveLength(2);
  expect(bodies).toContainEqual({ events: [{ external_id: 'u-1', name: 'Video Played', time: TIME, properties: { length: 30 } }] });
  expect(bodies).toContainEqual({
    purchases: [
      { external_id: 'u-2', product_id: 'sku-1', currency: 'EUR', price: 10, quantity: 2, time: TIME, properties: { order_id: 'o-9' } },
      { external_id: 'u-2', product_id: 'sku-2', currency: 'EUR', price: 5, quantity: 1, time: TIME, properties: { order_id: 'o-9' } },
    ],
  });
});

test('sends at most 75 objects per array per request', async () => {
  const { requests, results } = await braze().run(Array.from({ length: 80 }, (_, i) => clicked(`u-${i}`)));
  expect(results.every((r) => r.status === 'ok')).toBe(true);
  expect(trackBodies(requests).map((b) => b.events.length)).toEqual([75, 5]);
});

test('minor errors in a 201 fail only the objects Braze names', async () => {
  const { requests, results } = await braze({
    status: 201,
    body: { message: 'success', events_processed: 2, errors: [{ type: "'name' is required", input_array: 'events', index: 1 }] },
  }).run(['a', 'b', 'c'].map(clicked));
  expect(requests).toHaveLength(1);
  expect(results.map((r) => r.status)).toEqual(['ok', 'permanent', 'ok']);
  expect(results[1]).toMatchObject({ code: 'BRAZE_MINOR_ERROR', message: expect.stringContaining("'name' is required") });
});

test('anonymous events are skipped, not failed', async () => {
  const { requests, results } = await braze().run(buildTrack({ event: 'Clicked', userId: undefined }));
  expect(results).toEqual([{ status: 'ok', code: 'NO_EXTERNAL_ID' }]);
  expect(requests).toEqual([]);
});

test('429 waits until X-RateLimit-Reset; a refused key is an authentication failure without the key', async () => {
  const reset = String(Math.ceil(Date.now() / 1000) + 30);
  const limitedRun = await braze({ status: 429, headers: { 'x-ratelimit-reset': reset }, body: { message: 'Too many requests' } }).run(clicked('u-1'));
  const [limited] = limitedRun.results;
  expect(limited).toMatchObject({ status: 'rate_limited', httpStatus: 429 });
  expect(limited!.retryAfterMs).toBeGreaterThan(0);
  expect(retryAfterFromReset('1800000030', 1_800_000_000_000)).toBe(30_000);

  const deniedRun = await braze({ status: 401, body: { message: 'Invalid API key: ' } }).run(clicked('u-1'));
  const [denied] = deniedRun.results;
  expect(denied).toMatchObject({ status: 'authentication', httpStatus: 401 });
  expect(denied!.message).not.toContain(API_KEY);
  expect(deniedRun.logs.join('\n')).not.toContain(API_KEY);
});

test('a fatal 400 fails the whole request permanently', async () => {
  const {
    results: [result],
  } = await braze({
    status: 400,
    body: { message: "Valid data must be provided in the 'attributes', 'events', or 'purchases' fields." },
  }).run(clicked('u-1'));
  expect(result).toMatchObject({ status: 'permanent', httpStatus: 400 });
});

test('erasure deletes the user by external_id', async () => {
  const { requests, result } = await braze({ status: 201, body: { message: 'success', deleted: 1 } }).runDelete({ user_id: 'u-9', email: 'x@example.com' });
  expect(result).toEqual({ status: 'ok' });
  expect(requests).toHaveLength(1);
  expect(requests[0]).toMatchObject({
    method: 'POST',
    url: `${REST}/users/delete`,
    headers: { authorization: `Bearer ${API_KEY}` },
    body: { external_ids: ['u-9'] },
  });
});

test('sends emails trimmed and lower-cased and phones in E.164, whatever the mapping, and leaves out what Braze would refuse', async () => {
  const identify = (id: string, traits: Record<string, unknown>) => ({ ...buildIdentify({ userId: id }), traits });
  const run = (extra: Record<string, unknown>, events: ReturnType<typeof identify>[], mapping?: Record<string, unknown>) =>
    createTestHarness(connector, { settings: { ...settings, ...extra }, ...(mapping ? { mappingOverrides: { updateUserProfile: mapping } } : {}) })
      .intercept('rest.iad-01.braze.com', () => ({ status: 201, body: success }))
      .run(events);
  const { requests } = await run({}, [
    identify('p1', { email: '  Ann.Lee@Example.COM ', phone: '+1 (650) 555-1234' }),
    identify('p2', { email: 'bob@example.com', phone: '(650) 555-1234' }),
    identify('p3', { email: 'ann lee@example.com', phone: 'n/a' }),
    identify('p4', { phone: '0044 20 7946 0958' }),
  ]);
  const attributes = trackBodies(requests)[0].attributes.map(({ external_id, email, phone }: Record<string, string>) => ({ external_id, email, phone }));
  expect(attributes).toEqual([
    { external_id: 'p1', email: 'ann.lee@example.com', phone: '+16505551234' },
    { external_id: 'p2', email: 'bob@example.com', phone: '+16505551234' },
    { external_id: 'p3', email: undefined, phone: undefined },
    { external_id: 'p4', email: undefined, phone: '+442079460958' },
  ]);

  const uk = await run({ phoneCountryCode: '44' }, [identify('p5', { phone: '020 7946 0958', work: { email: ' X@Example.com ' } })], {
    email: { '@path': '$.traits.work.email' },
  });
  expect(trackBodies(uk.requests)[0].attributes).toEqual([expect.objectContaining({ external_id: 'p5', phone: '+442079460958', email: 'x@example.com' })]);
});
