import nock from 'nock';
import { checkManifest, egressFor, regionsFor } from '@switchyard/sdk-kit';
import connector, { retryAfterFromReset } from '../src/index.js';
import { connect, makeEvent, run, runDelete } from './helpers.js';

const API_KEY = 'braze-api-key-0123456789';
const settings = { apiKey: API_KEY, restEndpoint: 'https://rest.iad-01.braze.com' };
const REST = 'https://rest.iad-01.braze.com';
const auth = { reqheaders: { authorization: `Bearer ${API_KEY}` } };
const success = { message: 'success', attributes_processed: 1 };

beforeAll(() => { nock.disableNetConnect(); nock.enableNetConnect('127.0.0.1'); });
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

function captureTrack(reply: [number, nock.Body, Record<string, string>?] = [201, success], times = 1) {
  const bodies: any[] = [];
  const scope = nock(REST, auth).post('/users/track', (b) => { bodies.push(b); return true; }).times(times).reply(...reply);
  return { scope, bodies };
}

test('the manifest passes the router\'s checks; the EU instance is an EU connection', () => {
  expect(checkManifest(connector)).toEqual([]);
  const eu = connect(connector, { apiKey: API_KEY, restEndpoint: 'https://rest.fra-01.braze.eu' });
  expect(egressFor(connector as never, eu.settings)).toEqual(['rest.fra-01.braze.eu']);
  expect(regionsFor(connector as never, eu.settings)).toEqual(['eu']);
});

test('identify events become attributes keyed by external_id, other traits as custom attributes', async () => {
  const { scope, bodies } = captureTrack();
  const results = await run(connect(connector, settings), [makeEvent({
    type: 'identify', event: undefined, userId: 'u-1',
    traits: { email: 'ann@example.com', firstName: 'Ann', gender: 'female', plan: 'pro', address: { city: 'Berlin', country: 'DE' } },
  })]);
  scope.done();
  expect(results).toEqual([{ status: 'ok' }]);
  expect(bodies[0]).toEqual({ attributes: [{
    external_id: 'u-1', email: 'ann@example.com', first_name: 'Ann', gender: 'F', home_city: 'Berlin', country: 'DE', plan: 'pro',
  }] });
});

test('track events become custom events and Order Completed becomes one purchase per product', async () => {
  const { bodies } = captureTrack([201, success], 2);
  const results = await run(connect(connector, settings), [
    makeEvent({ messageId: 'e1', event: 'Video Played', userId: 'u-1', properties: { length: 30 } }),
    makeEvent({
      messageId: 'e2', event: 'Order Completed', userId: 'u-2',
      properties: { order_id: 'o-9', currency: 'eur', products: [{ product_id: 'sku-1', price: 10, quantity: 2 }, { product_id: 'sku-2', price: 5 }] },
    }),
  ]);
  expect(results).toEqual([{ status: 'ok' }, { status: 'ok' }]);
  expect(bodies).toContainEqual({ events: [{ external_id: 'u-1', name: 'Video Played', time: '2026-11-20T10:00:00.000Z', properties: { length: 30 } }] });
  expect(bodies).toContainEqual({ purchases: [
    { external_id: 'u-2', product_id: 'sku-1', currency: 'EUR', price: 10, quantity: 2, time: '2026-11-20T10:00:00.000Z', properties: { order_id: 'o-9' } },
    { external_id: 'u-2', product_id: 'sku-2', currency: 'EUR', price: 5, quantity: 1, time: '2026-11-20T10:00:00.000Z', properties: { order_id: 'o-9' } },
  ] });
});

test('sends at most 75 objects per array per request', async () => {
  const { bodies } = captureTrack([201, success], 2);
  const events = Array.from({ length: 80 }, (_, i) => makeEvent({ messageId: `m${i}`, event: 'Clicked', userId: `u-${i}` }));
  const results = await run(connect(connector, settings), events);
  expect(results.every((r) => r.status === 'ok')).toBe(true);
  expect(bodies.map((b) => b.events.length)).toEqual([75, 5]);
});

test('minor errors in a 201 fail only the objects Braze names', async () => {
  captureTrack([201, { message: 'success', events_processed: 2, errors: [{ type: "'name' is required", input_array: 'events', index: 1 }] }]);
  const results = await run(connect(connector, settings), ['a', 'b', 'c'].map((id) => makeEvent({ messageId: id, event: 'Clicked', userId: id })));
  expect(results.map((r) => r.status)).toEqual(['ok', 'permanent', 'ok']);
  expect(results[1]).toMatchObject({ code: 'BRAZE_MINOR_ERROR', message: expect.stringContaining("'name' is required") });
});

test('anonymous events are skipped, not failed', async () => {
  const results = await run(connect(connector, settings), [makeEvent({ event: 'Clicked', userId: undefined })]);
  expect(results).toEqual([{ status: 'ok', code: 'NO_EXTERNAL_ID' }]);
});

test('429 waits until X-RateLimit-Reset; a refused key is an authentication failure without the key', async () => {
  captureTrack([429, { message: 'Too many requests' }, { 'x-ratelimit-reset': String(Math.ceil(Date.now() / 1000) + 30) }]);
  const [limited] = await run(connect(connector, settings), [makeEvent({ event: 'Clicked' })]);
  expect(limited).toMatchObject({ status: 'rate_limited', httpStatus: 429 });
  expect(limited!.retryAfterMs).toBeGreaterThan(0);
  expect(retryAfterFromReset('1800000030', 1_800_000_000_000)).toBe(30_000);

  captureTrack([401, { message: 'Invalid API key: ' }]);
  const [denied] = await run(connect(connector, settings), [makeEvent({ event: 'Clicked' })]);
  expect(denied).toMatchObject({ status: 'authentication', httpStatus: 401 });
  expect(denied!.message).not.toContain(API_KEY);
});

test('a fatal 400 fails the whole request permanently', async () => {
  captureTrack([400, { message: "Valid data must be provided in the 'attributes', 'events', or 'purchases' fields." }]);
  const [result] = await run(connect(connector, settings), [makeEvent({ event: 'Clicked' })]);
  expect(result).toMatchObject({ status: 'permanent', httpStatus: 400 });
});

test('erasure deletes the user by external_id', async () => {
  const scope = nock(REST, auth).post('/users/delete', { external_ids: ['u-9'] }).reply(201, { message: 'success', deleted: 1 });
  await runDelete(connect(connector, settings), { user_id: 'u-9', email: 'x@example.com' });
  scope.done();
});
