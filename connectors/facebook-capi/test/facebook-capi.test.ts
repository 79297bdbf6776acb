import nock from 'nock';
import { checkManifest } from '@switchyard/sdk-kit';
import connector from '../src/index.js';
import { connect, makeEvent, run, sha256 } from './helpers.js';

const TOKEN = 'EAAtesttoken1234567890';
const settings = { pixelId: '1234567890', accessToken: TOKEN, apiVersion: 'v24.0' };
const GRAPH = 'https://graph.facebook.com';
const PATH = '/v24.0/1234567890/events';

beforeAll(() => { nock.disableNetConnect(); nock.enableNetConnect('127.0.0.1'); });
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

/** Intercepts one POST to the events endpoint, keeping the body, and answers with `reply`. */
function expectPost(reply: [number, nock.Body, Record<string, string>?] = [200, { events_received: 1, messages: [], fbtrace_id: 'Atrace' }]) {
  const seen: { body?: any; contentType?: string } = {};
  const scope = nock(GRAPH).post(PATH, (body) => { seen.body = body; return true; })
    .reply(function reply_() { seen.contentType = String(this.req.headers['content-type']); return reply; });
  return { scope, seen };
}

const purchase = makeEvent({
  messageId: 'msg-purchase-1',
  event: 'Order Completed',
  userId: 'user-42',
  timestamp: '2026-11-20T10:00:00.000Z',
  traits: {
    email: '  Jane.Doe@Example.COM ', phone: '+1 (650) 555-1212', firstName: 'Jane', lastName: "O'Brien",
    address: { city: 'San Francisco', state: 'CA', postalCode: '94103-1234', country: 'US' },
  },
  properties: {
    revenue: 59.9, currency: 'USD', order_id: 'o-77', fbc: 'fb.1.1554763741205.AbCdEfGh', fbp: 'fb.1.1558571054389.1098115397',
    products: [{ product_id: 'sku-1', quantity: 2, price: 19.95 }, { product_id: 'sku-2', quantity: 1, price: 20 }],
  },
  context: { ip: '203.0.113.7', userAgent: 'Mozilla/5.0 (X11)', page: { url: 'https://shop.example/checkout' } },
});

test('the manifest passes the router\'s checks', () => {
  expect(checkManifest(connector)).toEqual([]);
});

test('sends a purchase as a server event with user data hashed by Meta\'s rules and the rest unhashed', async () => {
  const { scope, seen } = expectPost();
  const results = await run(connect(connector, settings), [purchase]);
  expect(results).toEqual([{ status: 'ok' }]);
  scope.done();
  expect(seen.contentType).toMatch(/^application\/json/);
  expect(seen.body.access_token).toBe(TOKEN);
  expect(seen.body.test_event_code).toBeUndefined();
  expect(seen.body.data).toEqual([{
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
      value: 59.9, currency: 'USD', order_id: 'o-77', content_ids: ['sku-1', 'sku-2'], content_type: 'product',
      contents: [{ id: 'sku-1', quantity: 2, item_price: 19.95 }, { id: 'sku-2', quantity: 1, item_price: 20 }],
    },
  }]);
});

test('keeps values that are already SHA-256 digests as they are', async () => {
  const { seen } = expectPost();
  const digest = sha256('already@hashed.example').toUpperCase();
  await run(connect(connector, settings), [makeEvent({ traits: { email: digest } })]);
  expect(seen.body.data[0].user_data.em).toBe(digest.toLowerCase());
});

test('flags Limited Data Use, geolocated by Meta, when the user opted out of sale', async () => {
  const { seen } = expectPost();
  const optedOut = makeEvent({ context: { consent: { ccpa: { dataSaleOptOut: true } } } });
  await run(connect(connector, settings), [optedOut]);
  expect(seen.body.data[0]).toMatchObject({
    data_processing_options: ['LDU'], data_processing_options_country: 0, data_processing_options_state: 0,
  });

  const second = expectPost();
  await run(connect(connector, settings), [makeEvent({ context: { consent: { ccpa: { dataSaleOptOut: false } } } })]);
  expect(second.seen.body.data[0].data_processing_options).toBeUndefined();
});

test('maps page views to PageView and sends the test event code when set', async () => {
  const { seen } = expectPost();
  await run(connect(connector, { ...settings, testEventCode: 'TEST123' }), [makeEvent({ type: 'page', event: undefined })]);
  expect(seen.body.test_event_code).toBe('TEST123');
  expect(seen.body.data[0].event_name).toBe('PageView');
});

test('maps e-commerce names to Meta standard events, operator names first, others sent as custom events', async () => {
  const { seen } = expectPost([200, { events_received: 3 }]);
  await run(connect(connector, { ...settings, eventNames: { 'Demo Booked': 'Schedule' } }), [
    makeEvent({ messageId: 'a', event: 'Product Added' }),
    makeEvent({ messageId: 'b', event: 'Demo Booked' }),
    makeEvent({ messageId: 'c', event: 'Video Played' }),
  ]);
  expect(seen.body.data.map((d: { event_name: string }) => d.event_name)).toEqual(['AddToCart', 'Schedule', 'Video Played']);
});

test('sends a batch of events in one request, in order', async () => {
  const { scope, seen } = expectPost([200, { events_received: 3, messages: [] }]);
  const events = ['a', 'b', 'c'].map((id) => makeEvent({ messageId: id }));
  const results = await run(connect(connector, settings), events);
  scope.done();
  expect(results).toEqual([{ status: 'ok' }, { status: 'ok' }, { status: 'ok' }]);
  expect(seen.body.data.map((d: { event_id: string }) => d.event_id)).toEqual(['a', 'b', 'c']);
});

test.each([
  [4, 'rate_limited'], [17, 'rate_limited'], [32, 'rate_limited'], [613, 'rate_limited'], [80004, 'rate_limited'],
  [190, 'authentication'], [100, 'permanent'],
])('maps Graph API error code %i to %s', async (code, status) => {
  expectPost([400, { error: { message: 'boom', type: 'OAuthException', code, fbtrace_id: 'Ax' } }]);
  const [result] = await run(connect(connector, settings), [makeEvent()]);
  expect(result).toMatchObject({ status, code: `GRAPH_${code}`, httpStatus: 400 });
  expect(result!.message).not.toContain(TOKEN);
});

test('retries errors Meta marks transient and waits as long as the usage header says when throttled', async () => {
  expectPost([500, { error: { message: 'Service temporarily unavailable', code: 2, is_transient: true } }]);
  const [transient] = await run(connect(connector, settings), [makeEvent()]);
  expect(transient).toMatchObject({ status: 'retryable', code: 'GRAPH_2' });

  const usage = JSON.stringify({ '1234': [{ type: 'ads_management', call_count: 100, estimated_time_to_regain_access: 5 }] });
  expectPost([400, { error: { message: 'Too many calls', code: 80004 } }, { 'x-business-use-case-usage': usage }]);
  const [throttled] = await run(connect(connector, settings), [makeEvent()]);
  expect(throttled).toMatchObject({ status: 'rate_limited', retryAfterMs: 300_000 });
});

test('when Meta rejects a batch for one invalid event, only that event fails', async () => {
  nock(GRAPH).post(PATH, (b) => b.data.length === 3)
    .reply(400, { error: { message: 'Invalid parameter', code: 100, error_subcode: 2804003 } });
  nock(GRAPH).post(PATH, (b) => b.data.length === 1 && b.data[0].event_id !== 'bad').times(2).reply(200, { events_received: 1 });
  nock(GRAPH).post(PATH, (b) => b.data.length === 1 && b.data[0].event_id === 'bad')
    .reply(400, { error: { message: 'Invalid parameter', code: 100, error_subcode: 2804003 } });
  const results = await run(connect(connector, settings), ['ok-1', 'bad', 'ok-2'].map((id) => makeEvent({ messageId: id })));
  expect(results.map((r) => r.status)).toEqual(['ok', 'permanent', 'ok']);
  expect(nock.isDone()).toBe(true);
});

test('an event without a name is refused before any request', async () => {
  const [result] = await run(connect(connector, settings), [makeEvent({ event: undefined })]);
  expect(result).toMatchObject({ status: 'permanent', code: 'PAYLOAD_INVALID' });
});

test('refuses settings without a pixel id', () => {
  expect(() => connect(connector, { accessToken: TOKEN })).toThrow(/pixelId/);
});

test('never puts more than 1,000 events in one request', async () => {
  const sizes: number[] = [];
  nock(GRAPH).post(PATH, (b) => { sizes.push(b.data.length); return true; }).times(2).reply(200, { events_received: 1 });
  const events = Array.from({ length: 1001 }, (_, i) => makeEvent({ messageId: `m${i}` }));
  const results = await run(connect(connector, settings), events);
  expect(sizes).toEqual([1000, 1]);
  expect(results.every((r) => r.status === 'ok')).toBe(true);
});
