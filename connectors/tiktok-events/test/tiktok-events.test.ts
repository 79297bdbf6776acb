import { createHash } from 'node:crypto';
import { checkManifest } from '@switchyard/sdk-kit';
import { buildTrack, createTestHarness, type CapturedRequest, type MockResponse, type Responder } from '@switchyard/sdk-kit/testing';
import connector from '../src/index.js';

const TOKEN = 'tiktok-access-token-123456';
const settings = { pixelCode: 'C4ABCDEF12345', accessToken: TOKEN };
const TRACK = 'https://business-api.tiktok.com/open_api/v1.3/event/track/';
const OK = { code: 0, message: 'OK', request_id: 'r-1', data: {} };
const sha256 = (value: string) => createHash('sha256').update(value, 'utf8').digest('hex');

/** A connection to TikTok's Events API answering every request with `answer` (by default code 0 in a 200). */
function tiktok(answer: MockResponse | Responder = { status: 200, body: OK }, extra: Record<string, unknown> = {}) {
  return createTestHarness(connector, { settings: { ...settings, ...extra } }).intercept(
    'business-api.tiktok.com',
    typeof answer === 'function' ? answer : () => answer,
  );
}

/** Bodies posted to the track endpoint, after checking each request carried the token and a JSON body. */
function sent(requests: CapturedRequest[]): any[] {
  for (const request of requests) {
    expect(request).toMatchObject({ method: 'POST', url: TRACK, headers: { 'access-token': TOKEN } });
    expect(request.headers['content-type']).toMatch(/application\/json/);
  }
  return requests.map((r) => r.body);
}

const order = {
  ...buildTrack({ messageId: 'msg-7', event: 'Order Completed', userId: 'user-7', timestamp: '2026-11-20T10:00:00.000Z' }),
  identities: {},
  traits: { email: ' Ann@Example.com ', phone: '+44 20 7946 0958' },
  properties: { total: 25, currency: 'EUR', order_id: 'o-7', ttclid: 'E.C.P.abc', products: [{ product_id: 'sku-1', name: 'Mug', quantity: 1, price: 25 }] },
  context: {
    ip: '198.51.100.4',
    userAgent: 'Mozilla/5.0',
    locale: 'en-GB',
    page: { url: 'https://shop.example/thanks', referrer: 'https://shop.example/cart' },
  },
};

test("the manifest passes the router's checks", () => {
  expect(checkManifest(connector)).toEqual([]);
});

test('sends a web event with the pixel code, hashed identifiers and the standard event name', async () => {
  const { requests, results } = await tiktok(undefined, { testEventCode: 'TEST42' }).run(order);
  expect(results).toEqual([{ status: 'ok' }]);
  expect(sent(requests)).toEqual([
    {
      event_source: 'web',
      event_source_id: 'C4ABCDEF12345',
      test_event_code: 'TEST42',
      data: [
        {
          event: 'CompletePayment',
          event_time: 1795168800, // 2026-11-20T10:00:00Z
          event_id: 'msg-7',
          user: {
            email: sha256('ann@example.com'),
            phone: sha256('+442079460958'),
            external_id: sha256('user-7'),
            ip: '198.51.100.4',
            user_agent: 'Mozilla/5.0',
            ttclid: 'E.C.P.abc',
            locale: 'en-GB',
          },
          properties: {
            value: 25,
            currency: 'EUR',
            order_id: 'o-7',
            content_type: 'product',
            contents: [{ content_id: 'sku-1', content_name: 'Mug', quantity: 1, price: 25 }],
          },
          page: { url: 'https://shop.example/thanks', referrer: 'https://shop.example/cart' },
        },
      ],
    },
  ]);
});

test('event names can be remapped, and users who opted out of sale are sent with limited_data_use', async () => {
  const { requests } = await tiktok(undefined, { eventNames: { 'Lead Captured': 'SubmitForm' } }).run(
    buildTrack({ event: 'Lead Captured', context: { consent: { ccpa: { dataSaleOptOut: true } } } }),
  );
  expect(sent(requests)[0].data[0]).toMatchObject({ event: 'SubmitForm', limited_data_use: true });
});

test('batches events into one request', async () => {
  const { requests, results } = await tiktok().run(['a', 'b', 'c'].map((id) => buildTrack({ messageId: id, event: 'Clicked' })));
  expect(results.map((r) => r.status)).toEqual(['ok', 'ok', 'ok']);
  const bodies = sent(requests);
  expect(bodies).toHaveLength(1);
  expect(bodies[0].data.map((d: { event_id: string }) => d.event_id)).toEqual(['a', 'b', 'c']);
});

test.each([
  [40100, 'rate_limited'],
  [40001, 'authentication'],
  [40105, 'authentication'],
  [40002, 'permanent'],
  [50000, 'retryable'],
])('maps TikTok code %i in an HTTP 200 to %s', async (code, status) => {
  const {
    results: [result],
    logs,
  } = await tiktok({ status: 200, body: { code, message: 'something went wrong', request_id: 'r-2' } }).run(buildTrack({ event: 'Clicked' }));
  expect(result).toMatchObject({ status, code: `TIKTOK_${code}` });
  expect(result!.message).not.toContain(TOKEN);
  expect(logs.join('\n')).not.toContain(TOKEN);
});

test('when TikTok refuses a batch for one invalid event, only that event fails', async () => {
  const invalid = { status: 200, body: { code: 40002, message: 'Invalid event_time' } };
  const { requests, results } = await tiktok((request) => {
    const data = (request.body as { data: Array<{ event_id: string }> }).data;
    return data.length === 2 || data[0]!.event_id === 'bad' ? invalid : { status: 200, body: OK };
  }).run(['good', 'bad'].map((id) => buildTrack({ messageId: id, event: 'Clicked' })));
  expect(results.map((r) => r.status)).toEqual(['ok', 'permanent']);
  const batches = sent(requests).map((b) => b.data.map((d: { event_id: string }) => d.event_id));
  expect(batches[0]).toEqual(['good', 'bad']);
  expect(batches.slice(1).sort()).toEqual([['bad'], ['good']]);
});

test('HTTP errors are classified by status', async () => {
  const {
    results: [result],
  } = await tiktok({ status: 503, body: 'unavailable' }).run(buildTrack({ event: 'Clicked' }));
  expect(result).toMatchObject({ status: 'retryable', httpStatus: 503 });
});
