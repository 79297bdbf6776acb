// Request format: https://developer.x.com/en/docs/x-ads-api/measurement/web-conversions/conversions
// (POST https://ads-api.x.com/12/measurement/conversions/:pixel_id, up to 500 conversions: conversion_time, event_id,
// identifiers [twclid | hashed_email | hashed_phone_number | ip_address + user_agent], conversion_id, value, …);
// authentication: OAuth 1.0a user context (https://developer.x.com/en/docs/authentication/oauth-1-0a).
import { checkManifest, normalizeAndHash } from '@switchyard/sdk-kit';
import { buildCommerce, buildTrack, createTestHarness } from '@switchyard/sdk-kit/testing';
import connector from '../src/index.js';
import { CREDENTIALS, createFakeX } from './fake-x.js';

const settings = { pixelId: 'o8z6j', eventIds: { 'Order Completed': 'o87ne', 'Signed Up': 'tw-o8z6j-o87nf', Typo: 'zzzzz' }, ...CREDENTIALS };
function x(extra: Record<string, unknown> = {}) {
  const fake = createFakeX();
  return { fake, harness: createTestHarness(connector, { settings: { ...settings, ...extra } }).intercept('ads-api.x.com', fake.respond) };
}
const bare = (event: ReturnType<typeof buildTrack>, context: Record<string, unknown>, traits: Record<string, unknown> = {}) => ({
  ...event,
  identities: {},
  traits,
  context,
});

test("the manifest passes the router's checks", () => {
  expect(checkManifest(connector)).toEqual([]);
});

test('mapped events become conversions with hashed email and E.164 phone, signed with OAuth 1.0a', async () => {
  const { fake, harness } = x();
  const order = {
    ...bare(
      buildCommerce({ messageId: 'm-1', timestamp: '2026-12-04T18:00:00.000Z' }),
      { ip: '203.0.113.9', userAgent: 'Mozilla/5.0' },
      { email: ' Ann@Example.com ', phone: '+1 (650) 555-1234' },
    ),
    properties: { order_id: 'o-42', revenue: 59.9, currency: 'eur', products: [{ product_id: 'sku-1', name: 'Mug', price: 9.95, quantity: 2 }] },
  };
  const { results, requests } = await harness.run([
    order,
    bare(buildTrack({ messageId: 'm-2', event: 'Signed Up' }), { twclid: '23opevjt88psuo13lu8d020qkn' }),
  ]);
  expect(results).toEqual([{ status: 'ok' }, { status: 'ok' }]);
  expect(requests).toHaveLength(1);
  expect(requests[0]!.url).toBe('https://ads-api.x.com/12/measurement/conversions/o8z6j');
  expect(requests[0]!.headers.authorization).toMatch(/^OAuth .*oauth_signature_method="HMAC-SHA1"/);
  expect(fake.received[0]).toEqual({
    conversion_time: '2026-12-04T18:00:00.000Z',
    event_id: 'o87ne',
    conversion_id: 'o-42',
    value: 59.9,
    price_currency: 'EUR',
    contents: [{ content_id: 'sku-1', content_name: 'Mug', content_price: 9.95, num_items: 2 }],
    identifiers: [
      { hashed_email: normalizeAndHash('ann@example.com', 'none') },
      { hashed_phone_number: normalizeAndHash('+16505551234', 'none') },
      { ip_address: '203.0.113.9', user_agent: 'Mozilla/5.0' },
    ],
  });
  expect(fake.received[1]).toMatchObject({ event_id: 'tw-o8z6j-o87nf', conversion_id: 'm-2', identifiers: [{ twclid: '23opevjt88psuo13lu8d020qkn' }] });
  const sent = JSON.stringify(requests.map((r) => r.body));
  expect(sent).not.toContain('ann@example.com');
  expect(sent).not.toContain('6505551234');
});

test('events without an event id or any identifier are skipped, not failed', async () => {
  const { harness } = x();
  const { results, requests } = await harness.run([
    bare(buildTrack({ event: 'Page Scrolled' }), { twclid: 'abc' }),
    bare(buildTrack({ event: 'Signed Up' }), { ip: '203.0.113.9' }),
  ]);
  expect(results).toEqual([
    { status: 'ok', code: 'NO_EVENT_ID' },
    { status: 'ok', code: 'NO_IDENTIFIER' },
  ]);
  expect(requests).toEqual([]);
});

test('a conversion X refuses fails alone; the others are sent again and accepted', async () => {
  const { fake, harness } = x();
  const { results } = await harness.run([
    bare(buildTrack({ messageId: 'a', event: 'Signed Up' }), { twclid: 't-a' }),
    bare(buildTrack({ messageId: 'b', event: 'Typo' }), { twclid: 't-b' }),
    bare(buildTrack({ messageId: 'c', event: 'Signed Up' }), { twclid: 't-c' }),
  ]);
  expect(results.map((r) => r.status)).toEqual(['ok', 'permanent', 'ok']);
  expect(results[1]!.message).toContain('INVALID_PARAMETER');
  expect(fake.received.map((c) => c.conversion_id)).toEqual(['a', 'c']);
});

test('sends at most 500 conversions per request', async () => {
  const { harness, fake } = x();
  const events = Array.from({ length: 520 }, (_, i) => bare(buildTrack({ messageId: `m${i}`, event: 'Signed Up' }), { twclid: `t${i}` }));
  const { requests, results } = await harness.run(events);
  expect(results.every((r) => r.status === 'ok')).toBe(true);
  expect(requests.map((r) => (r.body as { conversions: unknown[] }).conversions.length)).toEqual([500, 20]);
  expect(fake.received).toHaveLength(520);
});

test('429 waits until x-rate-limit-reset; refused credentials are an authentication failure without the secrets', async () => {
  const reset = String(Math.ceil(Date.now() / 1000) + 60);
  const limited = await createTestHarness(connector, { settings })
    .intercept('ads-api.x.com', () => ({
      status: 429,
      headers: { 'x-rate-limit-reset': reset },
      body: { errors: [{ code: 'TOO_MANY_REQUESTS', message: 'Rate limit exceeded' }] },
    }))
    .run(bare(buildTrack({ event: 'Signed Up' }), { twclid: 't' }));
  expect(limited.results[0]).toMatchObject({ status: 'rate_limited', httpStatus: 429 });
  expect(limited.results[0]!.retryAfterMs).toBeGreaterThan(50_000);
  const denied = await x({ accessTokenSecret: 'a-wrong-token-secret' }).harness.run(bare(buildTrack({ event: 'Signed Up' }), { twclid: 't' }));
  expect(denied.results[0]).toMatchObject({ status: 'authentication', httpStatus: 401, message: expect.stringContaining('UNAUTHORIZED_ACCESS') });
  const seen = JSON.stringify(denied.results) + denied.logs.join('\n');
  expect(seen).not.toContain('a-wrong-token-secret');
  expect(seen).not.toContain(CREDENTIALS.consumerSecret);
});
