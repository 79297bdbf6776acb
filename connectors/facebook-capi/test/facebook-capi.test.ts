import { createHash } from 'node:crypto';
import { checkManifest } from '@switchyard/sdk-kit';
import { buildPage, buildTrack, createTestHarness, type MockResponse, type Responder } from '@switchyard/sdk-kit/testing';
import connector from '../src/index.js';

const TOKEN = 'EAAtesttoken1234567890';
const settings = { pixelId: '1234567890', accessToken: TOKEN, apiVersion: 'v24.0' };
const EVENTS_URL = 'https://graph.facebook.com/v24.0/1234567890/events';
const sha256 = (value: string) => createHash('sha256').update(value, 'utf8').digest('hex');

/** A connection whose Graph API answers every request with `answer` (a response, or a function of the request). */
function graph(answer: MockResponse | Responder = { status: 200, body: { events_received: 1, messages: [], fbtrace_id: 'Atrace' } }, extra = {}) {
  return createTestHarness(connector, { settings: { ...settings, ...extra } }).intercept(
    'graph.facebook.com',
    typeof answer === 'function' ? answer : () => answer,
  );
}

const purchase = {
  ...buildTrack({ messageId: 'msg-purchase-1', event: 'Order Completed', userId: 'user-42', timestamp: '2026-11-20T10:00:00.000Z' }),
  identities: {},
  traits: {
    email: '  Jane.Doe@Example.COM ',
    phone: '+1 (650) 555-1212',
    firstName: 'Jane',
    lastName: "O'Brien",
    address: { city: 'San Francisco', state: 'CA', postalCode: '94103-1234', country: 'US' },
  },
  properties: {
    revenue: 59.9,
    currency: 'USD',
    order_id: 'o-77',
    fbc: 'fb.1.1554763741205.AbCdEfGh',
    fbp: 'fb.1.1558571054389.1098115397',
    products: [
      { product_id: 'sku-1', quantity: 2, price: 19.95 },
      { product_id: 'sku-2', quantity: 1, price: 20 },
    ],
  },
  context: { ip: '203.0.113.7', userAgent: 'Mozilla/5.0 (X11)', page: { url: 'https://shop.example/checkout' } },
};

test("the manifest passes the router's checks", () => {
  expect(checkManifest(connector)).toEqual([]);
});

test("sends a purchase as a server event with user data hashed by Meta's rules and the rest unhashed", async () => {
  const { requests, results } = await graph().run(purchase);
  expect(results).toEqual([{ status: 'ok' }]);
  expect(requests).toHaveLength(1);
  const request = requests[0]!;
  const body = request.body as any;
  expect(request).toMatchObject({ method: 'POST', url: EVENTS_URL });
  expect(request.headers['content-type']).toMatch(/^application\/json/);
  expect(body.access_token).toBe(TOKEN);
  expect(body.test_event_code).toBeUndefined();
  expect(body.data).toEqual([
    {
      event_name: 'Purchase',
      event_time: 1795168800, // 2026-11-20T10:00:00Z
      event_id: 'msg-purchase-1',
      action_source: 'website',
      event_source_url: 'https://shop.example/checkout',
      user_data: {
        em: sha256('jane.doe@example.com'),
        ph: sha256('16505551212'),
        fn: sha256('jane'),
        ln: sha256('obrien'),
        ct: sha256('sanfrancisco'),
        st: sha256('ca'),
        zp: sha256('94103'),
        country: sha256('us'),
        external_id: sha256('user-42'),
        client_ip_address: '203.0.113.7',
        client_user_agent: 'Mozilla/5.0 (X11)',
        fbc: 'fb.1.1554763741205.AbCdEfGh',
        fbp: 'fb.1.1558571054389.1098115397',
      },
      custom_data: {
        value: 59.9,
        currency: 'USD',
        order_id: 'o-77',
        content_ids: ['sku-1', 'sku-2'],
        content_type: 'product',
        contents: [
          { id: 'sku-1', quantity: 2, item_price: 19.95 },
          { id: 'sku-2', quantity: 1, item_price: 20 },
        ],
      },
    },
  ]);
});

test('keeps values that are already SHA-256 digests as they are', async () => {
  const digest = sha256('already@hashed.example').toUpperCase();
  const { requests } = await graph().run(buildTrack({ traits: { email: digest } }));
  expect((requests[0]!.body as any).data[0].user_data.em).toBe(digest.toLowerCase());
});

test('flags Limited Data Use, geolocated by Meta, when the user opted out of sale', async () => {
  const optedOut = await graph().run(buildTrack({ context: { consent: { ccpa: { dataSaleOptOut: true } } } }));
  expect((optedOut.requests[0]!.body as any).data[0]).toMatchObject({
    data_processing_options: ['LDU'],
    data_processing_options_country: 0,
    data_processing_options_state: 0,
  });

  const second = await graph().run(buildTrack({ context: { consent: { ccpa: { dataSaleOptOut: false } } } }));
  expect(second.requests).toHaveLength(1);
  expect((second.requests[0]!.body as any).data[0].data_processing_options).toBeUndefined();
});

test('maps page views to PageView and sends the test event code when set', async () => {
  const { requests } = await graph(undefined, { testEventCode: 'TEST123' }).run(buildPage());
  const body = requests[0]!.body as any;
  expect(body.test_event_code).toBe('TEST123');
  expect(body.data[0].event_name).toBe('PageView');
});

test('maps e-commerce names to Meta standard events, operator names first, others sent as custom events', async () => {
  const { requests } = await graph({ status: 200, body: { events_received: 3 } }, { eventNames: { 'Demo Booked': 'Schedule' } }).run([
    buildTrack({ messageId: 'a', event: 'Product Added' }),
    buildTrack({ messageId: 'b', event: 'Demo Booked' }),
    buildTrack({ messageId: 'c', event: 'Video Played' }),
  ]);
  expect(requests).toHaveLength(1);
  expect((requests[0]!.body as any).data.map((d: { event_name: string }) => d.event_name)).toEqual(['AddToCart', 'Schedule', 'Video Played']);
});

test('sends a batch of events in one request, in order', async () => {
  const events = ['a', 'b', 'c'].map((id) => buildTrack({ messageId: id }));
  const { requests, results } = await graph({ status: 200, body: { events_received: 3, messages: [] } }).run(events);
  expect(requests).toHaveLength(1);
  expect(results).toEqual([{ status: 'ok' }, { status: 'ok' }, { status: 'ok' }]);
  expect((requests[0]!.body as any).data.map((d: { event_id: string }) => d.event_id)).toEqual(['a', 'b', 'c']);
});

test.each([
  [4, 'rate_limited'],
  [17, 'rate_limited'],
  [32, 'rate_limited'],
  [613, 'rate_limited'],
  [80004, 'rate_limited'],
  [190, 'authentication'],
  [100, 'permanent'],
])('maps Graph API error code %i to %s', async (code, status) => {
  const {
    results: [result],
    logs,
  } = await graph({ status: 400, body: { error: { message: 'boom', type: 'OAuthException', code, fbtrace_id: 'Ax' } } }).run(buildTrack());
  expect(result).toMatchObject({ status, code: `GRAPH_${code}`, httpStatus: 400 });
  expect(result!.message).not.toContain(TOKEN);
  expect(logs.join('\n')).not.toContain(TOKEN);
});

test('retries errors Meta marks transient and waits as long as the usage header says when throttled', async () => {
  const {
    results: [transient],
  } = await graph({ status: 500, body: { error: { message: 'Service temporarily unavailable', code: 2, is_transient: true } } }).run(buildTrack());
  expect(transient).toMatchObject({ status: 'retryable', code: 'GRAPH_2' });

  const usage = JSON.stringify({ '1234': [{ type: 'ads_management', call_count: 100, estimated_time_to_regain_access: 5 }] });
  const {
    results: [throttled],
  } = await graph({
    status: 400,
    headers: { 'x-business-use-case-usage': usage },
    body: { error: { message: 'Too many calls', code: 80004 } },
  }).run(buildTrack());
  expect(throttled).toMatchObject({ status: 'rate_limited', retryAfterMs: 300_000 });
});

test('when Meta rejects a batch for one invalid event, only that event fails', async () => {
  const invalid = { status: 400, body: { error: { message: 'Invalid parameter', code: 100, error_subcode: 2804003 } } };
  const { requests, results } = await graph((request) => {
    const data = (request.body as { data: Array<{ event_id: string }> }).data;
    return data.length === 3 || data[0]!.event_id === 'bad' ? invalid : { status: 200, body: { events_received: 1 } };
  }).run(['ok-1', 'bad', 'ok-2'].map((id) => buildTrack({ messageId: id })));
  expect(results.map((r) => r.status)).toEqual(['ok', 'permanent', 'ok']);
  const sent = requests.map((r) => (r.body as { data: Array<{ event_id: string }> }).data.map((d) => d.event_id));
  expect(sent[0]).toEqual(['ok-1', 'bad', 'ok-2']);
  expect(sent.slice(1).sort()).toEqual([['bad'], ['ok-1'], ['ok-2']]);
});

test('an event without a name is refused before any request', async () => {
  const {
    requests,
    results: [result],
  } = await graph().run(buildTrack({ event: undefined }));
  expect(result).toMatchObject({ status: 'permanent', code: 'PAYLOAD_INVALID' });
  expect(requests).toEqual([]);
});

test('refuses settings without a pixel id', () => {
  expect(() => createTestHarness(connector, { settings: { accessToken: TOKEN } })).toThrow(/pixelId/);
});

test('never puts more than 1,000 events in one request', async () => {
  const events = Array.from({ length: 1001 }, (_, i) => buildTrack({ messageId: `m${i}` }));
  const { requests, results } = await graph({ status: 200, body: { events_received: 1 } }).run(events);
  expect(requests.map((r) => (r.body as { data: unknown[] }).data.length)).toEqual([1000, 1]);
  expect(results.every((r) => r.status === 'ok')).toBe(true);
});
