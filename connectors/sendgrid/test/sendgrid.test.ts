import nock from 'nock';
import { checkManifest, egressFor, regionsFor } from '@switchyard/sdk-kit';
import connector, { chunkBySize, retryAfterFromReset } from '../src/index.js';
import { connect, makeEvent, run, runDelete } from './helpers.js';

const API_KEY = 'SG.test-key.abcdefghijklmnop';
const settings = { apiKey: API_KEY, listIds: ['list-1'] };
const API = 'https://api.sendgrid.com';
const auth = { reqheaders: { authorization: `Bearer ${API_KEY}` } };

beforeAll(() => { nock.disableNetConnect(); nock.enableNetConnect('127.0.0.1'); });
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

const identify = (messageId: string, traits: Record<string, unknown>) => makeEvent({ messageId, type: 'identify', event: undefined, userId: `u-${messageId}`, traits });

test('the manifest passes the router\'s checks', () => {
  expect(checkManifest(connector)).toEqual([]);
});

test('upserts identified users as contacts on the configured lists in one request', async () => {
  let body: any;
  const scope = nock(API, auth).put('/v3/marketing/contacts', (b) => { body = b; return true; }).reply(202, { job_id: 'job-1' });
  const results = await run(connect(connector, settings), [
    identify('m1', { email: ' Ann@Example.com', firstName: 'Ann', lastName: 'Lee', address: { city: 'Berlin', country: 'DE', postalCode: '10115' } }),
    identify('m2', { email: 'bob@example.com' }),
    identify('m3', { firstName: 'No email' }),
  ]);
  scope.done();
  expect(body).toEqual({
    list_ids: ['list-1'],
    contacts: [
      { email: 'ann@example.com', first_name: 'Ann', last_name: 'Lee', external_id: 'u-m1', city: 'Berlin', country: 'DE', postal_code: '10115' },
      { email: 'bob@example.com', external_id: 'u-m2' },
    ],
  });
  expect(results).toEqual([{ status: 'ok' }, { status: 'ok' }, { status: 'ok', code: 'NO_EMAIL' }]);
});

test('a contact SendGrid refuses fails alone and the others are resent', async () => {
  const bodies: any[] = [];
  nock(API).put('/v3/marketing/contacts', (b) => { bodies.push(b); return b.contacts.length === 3; })
    .reply(400, { errors: [{ field: 'contacts[1].postal_code', message: 'must be at most 60 characters' }] });
  nock(API).put('/v3/marketing/contacts', (b) => { bodies.push(b); return b.contacts.length === 2; }).reply(202, { job_id: 'job-2' });
  const results = await run(connect(connector, settings), ['a', 'b', 'c'].map((x) => identify(x, { email: `${x}@example.com` })));
  expect(results.map((r) => r.status)).toEqual(['ok', 'permanent', 'ok']);
  expect(results[1]).toMatchObject({ code: 'CONTACT_INVALID', message: expect.stringContaining('postal_code') });
  expect(bodies[1].contacts.map((c: { email: string }) => c.email)).toEqual(['a@example.com', 'c@example.com']);
});

test('keeps each request under 6 MB', () => {
  const contacts = Array.from({ length: 5 }, (_, i) => ({ email: `${i}@example.com`, custom_fields: { e1_T: 'x'.repeat(100) } }));
  const chunks = chunkBySize(contacts, 400);
  expect(chunks.flat()).toEqual(contacts);
  expect(chunks.length).toBeGreaterThan(1);
  for (const chunk of chunks) expect(Buffer.byteLength(JSON.stringify({ list_ids: [], contacts: chunk }))).toBeLessThanOrEqual(400);
});

test('rate limiting waits until X-RateLimit-Reset; a bad key is an authentication failure without the key in it', async () => {
  const reset = Math.ceil(Date.now() / 1000) + 60;
  nock(API).put('/v3/marketing/contacts').reply(429, { errors: [{ field: null, message: 'too many requests' }] }, { 'x-ratelimit-reset': String(reset) });
  const [limited] = await run(connect(connector, settings), [identify('m1', { email: 'a@example.com' })]);
  expect(limited!.status).toBe('rate_limited');
  expect(limited!.retryAfterMs).toBeGreaterThan(0);
  expect(retryAfterFromReset('1800000060', 1_800_000_000_000)).toBe(60_000);

  nock(API).put('/v3/marketing/contacts').reply(401, { errors: [{ field: null, message: 'authorization required' }] });
  const [denied] = await run(connect(connector, settings), [identify('m1', { email: 'a@example.com' })]);
  expect(denied).toMatchObject({ status: 'authentication', httpStatus: 401 });
  expect(denied!.message).not.toContain(API_KEY);
});

test('sends the configured dynamic template for a track event, with its data', async () => {
  let body: any;
  const scope = nock(API, auth).post('/v3/mail/send', (b) => { body = b; return true; }).reply(202, '');
  const connection = connect(connector, {
    ...settings, fromEmail: 'shop@example.com', fromName: 'Shop', templates: { 'Order Completed': 'd-0123abcd' },
  });
  const results = await run(connection, [
    makeEvent({ messageId: 'm1', event: 'Order Completed', traits: { email: 'ann@example.com', firstName: 'Ann' }, properties: { order_id: 'o-1', total: 30 } }),
    makeEvent({ messageId: 'm2', event: 'Product Viewed', traits: { email: 'ann@example.com' } }),
  ]);
  scope.done();
  expect(results.map((r) => r.status)).toEqual(['ok', 'ok']);
  expect(body).toEqual({
    from: { email: 'shop@example.com', name: 'Shop' },
    template_id: 'd-0123abcd',
    personalizations: [{
      to: [{ email: 'ann@example.com', name: 'Ann' }],
      dynamic_template_data: { email: 'ann@example.com', firstName: 'Ann', order_id: 'o-1', total: 30 },
    }],
    custom_args: { switchyard_message_id: 'm1' },
  });
});

test('a templated event without a recipient fails permanently', async () => {
  const connection = connect(connector, { ...settings, fromEmail: 'shop@example.com', templates: { 'Order Completed': 'd-0123abcd' } });
  const [result] = await run(connection, [makeEvent({ event: 'Order Completed' })]);
  expect(result).toMatchObject({ status: 'permanent', code: 'NO_EMAIL' });
});

test('the EU region calls api.eu.sendgrid.com only', async () => {
  const eu = connect(connector, { ...settings, region: 'eu' });
  expect(egressFor(connector as never, eu.settings)).toEqual(['api.eu.sendgrid.com']);
  expect(regionsFor(connector as never, eu.settings)).toEqual(['eu']);
  const scope = nock('https://api.eu.sendgrid.com').put('/v3/marketing/contacts').reply(202, { job_id: 'j' });
  expect(await run(eu, [identify('m1', { email: 'a@example.com' })])).toEqual([{ status: 'ok' }]);
  scope.done();
});

test('erasure looks the contact up by email and deletes it by id', async () => {
  const scope = nock(API, auth)
    .post('/v3/marketing/contacts/search/emails', { emails: ['gone@example.com'] })
    .reply(200, { result: { 'gone@example.com': { contact: { id: 'c-123', email: 'gone@example.com' } } } })
    .delete('/v3/marketing/contacts').query({ ids: 'c-123' })
    .reply(202, { job_id: 'del-1' });
  await runDelete(connect(connector, settings), { email: 'Gone@Example.com' });
  scope.done();
});

test('erasure of an email SendGrid does not know sends no delete', async () => {
  const scope = nock(API).post('/v3/marketing/contacts/search/emails').reply(404, { errors: [{ message: 'No contacts found' }] });
  await runDelete(connect(connector, settings), { email: 'nobody@example.com' });
  scope.done();
});
