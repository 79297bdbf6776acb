import nock from 'nock';
import { checkManifest } from '@switchyard/sdk-kit';
import connector from '../src/index.js';
import { connect, makeEvent, run, sha256 } from './helpers.js';

const TOKEN = 'tiktok-access-token-123456';
const settings = { pixelCode: 'C4ABCDEF12345', accessToken: TOKEN };
const HOST = 'https://business-api.tiktok.com';
const PATH = '/open_api/v1.3/event/track/';
const OK = { code: 0, message: 'OK', request_id: 'r-1', data: {} };

beforeAll(() => { nock.disableNetConnect(); nock.enableNetConnect('127.0.0.1'); });
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

function capture(reply: unknown = OK, times = 1) {
  const bodies: any[] = [];
  const scope = nock(HOST, { reqheaders: { 'access-token': TOKEN, 'content-type': /application\/json/ } })
    .post(PATH, (b) => { bodies.push(b); return true; }).times(times).reply(200, reply as object);
  return { scope, bodies };
}

const order = makeEvent({
  messageId: 'msg-7', event: 'Order Completed', userId: 'user-7',
  traits: { email: ' Ann@Example.com ', phone: '+44 20 7946 0958' },
  properties: { total: 25, currency: 'EUR', order_id: 'o-7', ttclid: 'E.C.P.abc', products: [{ product_id: 'sku-1', name: 'Mug', quantity: 1, price: 25 }] },
  context: { ip: '198.51.100.4', userAgent: 'Mozilla/5.0', locale: 'en-GB', page: { url: 'https://shop.example/thanks', referrer: 'https://shop.example/cart' } },
});

test('the manifest passes the router\'s checks', () => {
  expect(checkManifest(connector)).toEqual([]);
});

test('sends a web event with the pixel code, hashed identifiers and the standard event name', async () => {
  const { scope, bodies } = capture();
  const results = await run(connect(connector, { ...settings, testEventCode: 'TEST42' }), [order]);
  scope.done();
  expect(results).toEqual([{ status: 'ok' }]);
  expect(bodies[0]).toEqual({
    event_source: 'web',
    event_source_id: 'C4ABCDEF12345',
    test_event_code: 'TEST42',
    data: [{
      event: 'CompletePayment',
      event_time: 1795168800, // 2026-11-20T10:00:00Z
      event_id: 'msg-7',
      user: {
        email: sha256('ann@example.com'), phone: sha256('+442079460958'), external_id: sha256('user-7'),
        ip: '198.51.100.4', user_agent: 'Mozilla/5.0', ttclid: 'E.C.P.abc', locale: 'en-GB',
      },
      properties: {
        value: 25, currency: 'EUR', order_id: 'o-7', content_type: 'product',
        contents: [{ content_id: 'sku-1', content_name: 'Mug', quantity: 1, price: 25 }],
      },
      page: { url: 'https://shop.example/thanks', referrer: 'https://shop.example/cart' },
    }],
  });
});

test('event names can be remapped, and users who opted out of sale are sent with limited_data_use', async () => {
  const { bodies } = capture();
  await run(connect(connector, { ...settings, eventNames: { 'Lead Captured': 'SubmitForm' } }), [
    makeEvent({ event: 'Lead Captured', context: { consent: { ccpa: { dataSaleOptOut: true } } } }),
  ]);
  expect(bodies[0].data[0]).toMatchObject({ event: 'SubmitForm', limited_data_use: true });
});

test('batches events into one request', async () => {
  const { bodies } = capture();
  const results = await run(connect(connector, settings), ['a', 'b', 'c'].map((id) => makeEvent({ messageId: id, event: 'Clicked' })));
  expect(results.map((r) => r.status)).toEqual(['ok', 'ok', 'ok']);
  expect(bodies[0].data.map((d: { event_id: string }) => d.event_id)).toEqual(['a', 'b', 'c']);
});

test.each([
  [40100, 'rate_limited'], [40001, 'authentication'], [40105, 'authentication'], [40002, 'permanent'], [50000, 'retryable'],
])('maps TikTok code %i in an HTTP 200 to %s', async (code, status) => {
  capture({ code, message: 'something went wrong', request_id: 'r-2' });
  const [result] = await run(connect(connector, settings), [makeEvent({ event: 'Clicked' })]);
  expect(result).toMatchObject({ status, code: `TIKTOK_${code}` });
  expect(result!.message).not.toContain(TOKEN);
});

test('when TikTok refuses a batch for one invalid event, only that event fails', async () => {
  nock(HOST).post(PATH, (b) => b.data.length === 2).reply(200, { code: 40002, message: 'Invalid event_time' });
  nock(HOST).post(PATH, (b) => b.data.length === 1 && b.data[0].event_id === 'good').reply(200, OK);
  nock(HOST).post(PATH, (b) => b.data.length === 1 && b.data[0].event_id === 'bad').reply(200, { code: 40002, message: 'Invalid event_time' });
  const results = await run(connect(connector, settings), ['good', 'bad'].map((id) => makeEvent({ messageId: id, event: 'Clicked' })));
  expect(results.map((r) => r.status)).toEqual(['ok', 'permanent']);
  expect(nock.isDone()).toBe(true);
});

test('HTTP errors are classified by status', async () => {
  nock(HOST).post(PATH).reply(503, 'unavailable');
  const [result] = await run(connect(connector, settings), [makeEvent({ event: 'Clicked' })]);
  expect(result).toMatchObject({ status: 'retryable', httpStatus: 503 });
});
