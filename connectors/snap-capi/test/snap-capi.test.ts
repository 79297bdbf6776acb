import nock from 'nock';
import { checkManifest } from '@switchyard/sdk-kit';
import connector from '../src/index.js';
import { connect, makeEvent, run, sha256 } from './helpers.js';

const TOKEN = 'snap-capi-token-abcdef123';
const PIXEL = '0d2f1c4e-5a6b-4c7d-8e9f-0a1b2c3d4e5f';
const settings = { pixelId: PIXEL, accessToken: TOKEN };
const HOST = 'https://tr.snapchat.com';
const PATH = `/v3/${PIXEL}/events`;

beforeAll(() => { nock.disableNetConnect(); nock.enableNetConnect('127.0.0.1'); });
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

function capture(path = PATH, reply: [number, nock.Body] = [200, { status: 'VALID' }]) {
  const bodies: any[] = [];
  const scope = nock(HOST).post(path, (b) => { bodies.push(b); return true; }).query({ access_token: TOKEN }).reply(...reply);
  return { scope, bodies };
}

test('the manifest passes the router\'s checks', () => {
  expect(checkManifest(connector)).toEqual([]);
});

test('sends a purchase with the token in the query, user data hashed (email and phone as lists) and the rest as is', async () => {
  const { scope, bodies } = capture();
  const results = await run(connect(connector, settings), [makeEvent({
    messageId: 'msg-3', event: 'Order Completed', userId: 'user-3',
    traits: { email: 'Person@Example.com ', phone: '+44 844 412 4653', address: { city: 'New York', state: 'NY', postalCode: '10001', country: 'US' } },
    properties: { revenue: 12.5, currency: 'USD', order_id: 'o-3', sc_click_id: 'click-1', products: [{ product_id: 'p1', quantity: 1, price: 12.5 }] },
    context: { ip: '192.0.2.8', userAgent: 'Mozilla/5.0', page: { url: 'https://shop.example/done' } },
  })]);
  scope.done();
  expect(results).toEqual([{ status: 'ok' }]);
  expect(bodies[0]).toEqual({ data: [{
    event_name: 'PURCHASE',
    event_time: 1795168800, // 2026-11-20T10:00:00Z
    event_id: 'msg-3',
    action_source: 'WEB',
    event_source_url: 'https://shop.example/done',
    user_data: {
      em: [sha256('person@example.com')],
      ph: [sha256('448444124653')],
      ct: sha256('newyork'), st: sha256('ny'), zp: sha256('10001'), country: sha256('us'),
      external_id: sha256('user-3'),
      client_ip_address: '192.0.2.8', client_user_agent: 'Mozilla/5.0', sc_click_id: 'click-1',
    },
    custom_data: { value: 12.5, currency: 'USD', order_id: 'o-3', contents: [{ id: 'p1', quantity: 1, item_price: 12.5 }] },
  }] });
});

test('the Snap documentation\'s own example email hashes to its published digest', async () => {
  const { bodies } = capture();
  await run(connect(connector, settings), [makeEvent({ event: 'Signed Up', traits: { email: 'Person@Example.com' } })]);
  expect(bodies[0].data[0].user_data.em).toEqual(['542d240129883c019e106e3b1b2d3f3cb3537c43c425364de8e951d5a3083345']);
  expect(bodies[0].data[0].event_name).toBe('SIGN_UP');
});

test('page views, remapped names and validate-only mode; unknown names are not sent', async () => {
  const { scope, bodies } = capture(`${PATH}/validate`);
  const results = await run(connect(connector, { ...settings, validateOnly: true, eventNames: { 'Lead Captured': 'CUSTOM_EVENT_1' } }), [
    makeEvent({ messageId: 'p', type: 'page', event: undefined }),
    makeEvent({ messageId: 'l', event: 'Lead Captured' }),
    makeEvent({ messageId: 'u', event: 'Video Played' }),
  ]);
  scope.done();
  expect(bodies[0].data.map((d: { event_name: string }) => d.event_name)).toEqual(['PAGE_VIEW', 'CUSTOM_EVENT_1']);
  expect(results[2]).toEqual({ status: 'ok', code: 'UNMAPPED_EVENT' });
});

test('users who opted out of sale are flagged for Limited Data Use', async () => {
  const { bodies } = capture();
  await run(connect(connector, settings), [makeEvent({ event: 'Order Completed', context: { consent: { ccpa: { dataSaleOptOut: true } } } })]);
  expect(bodies[0].data[0]).toMatchObject({ data_processing_options: ['LDU'], data_processing_options_country: 0, data_processing_options_state: 0 });
});

test.each([[401, 'authentication'], [429, 'rate_limited'], [500, 'retryable'], [400, 'permanent']])('HTTP %i is %s, without the token in the reason', async (status, outcome) => {
  capture(PATH, [status, { status: 'INVALID', reason: 'something is wrong' }]);
  const [result] = await run(connect(connector, settings), [makeEvent({ event: 'Order Completed' })]);
  expect(result).toMatchObject({ status: outcome, httpStatus: status });
  expect(result!.message).toContain('something is wrong');
  expect(result!.message).not.toContain(TOKEN);
});

test('a 200 reporting an invalid request fails; with a batch only the invalid event fails', async () => {
  nock(HOST).post(PATH, (b) => b.data.length === 2).query(true).reply(200, { status: 'INVALID', reason: 'event_time too old' });
  nock(HOST).post(PATH, (b) => b.data[0].event_id === 'new').query(true).reply(200, { status: 'VALID' });
  nock(HOST).post(PATH, (b) => b.data[0].event_id === 'old').query(true).reply(200, { status: 'INVALID', reason: 'event_time too old' });
  const results = await run(connect(connector, settings), [makeEvent({ messageId: 'new', event: 'Order Completed' }), makeEvent({ messageId: 'old', event: 'Order Completed' })]);
  expect(results.map((r) => r.status)).toEqual(['ok', 'permanent']);
  expect(results[1]).toMatchObject({ code: 'SNAP_INVALID', message: expect.stringContaining('too old') });
});
