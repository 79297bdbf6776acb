import { checkManifest, egressFor, regionsFor, type CanonicalEvent } from '@switchyard/sdk-kit';
import { buildIdentify, buildTrack, createTestHarness, type CapturedRequest, type MockResponse, type Responder } from '@switchyard/sdk-kit/testing';
import connector, { chunkBySize, retryAfterFromReset } from '../src/index.js';

const API_KEY = 'SG.test-key.abcdefghijklmnop';
const settings = { apiKey: API_KEY, listIds: ['list-1'] };
const API = 'https://api.sendgrid.com';
const CONTACTS = `${API}/v3/marketing/contacts`;

/** A connection to a SendGrid that answers every request with `answer` (by default 202 with a job id). */
function sendgrid(answer: MockResponse | Responder = { status: 202, body: { job_id: 'job-1' } }, extra: Record<string, unknown> = {}) {
  return createTestHarness(connector, { settings: { ...settings, ...extra } }).respond(typeof answer === 'function' ? answer : () => answer);
}

/** Bodies sent as `method url`, after checking every request carried the API key. */
function sent(requests: CapturedRequest[], method: string, url: string): any[] {
  for (const request of requests) expect(request.headers.authorization).toBe(`Bearer ${API_KEY}`);
  return requests.filter((r) => r.method === method && r.url === url).map((r) => r.body);
}

/** An identify event carrying only the traits given, so the contacts hold exactly what the test expects. */
const identify = (messageId: string, traits: Record<string, unknown>): CanonicalEvent => ({
  ...buildIdentify({ messageId, userId: `u-${messageId}` }),
  identities: {},
  traits,
});
/** A track event whose traits and properties are only the ones given. */
const track = (messageId: string, event: string, traits: Record<string, unknown>, properties: Record<string, unknown> = {}): CanonicalEvent => ({
  ...buildTrack({ messageId, event }),
  identities: {},
  traits,
  properties,
});

test("the manifest passes the router's checks", () => {
  expect(checkManifest(connector)).toEqual([]);
});

test('upserts identified users as contacts on the configured lists in one request', async () => {
  const { requests, results } = await sendgrid().run([
    identify('m1', { email: ' Ann@Example.com', firstName: 'Ann', lastName: 'Lee', address: { city: 'Berlin', country: 'DE', postalCode: '10115' } }),
    identify('m2', { email: 'bob@example.com' }),
    identify('m3', { firstName: 'No email' }),
  ]);
  expect(requests).toHaveLength(1);
  expect(sent(requests, 'PUT', CONTACTS)).toEqual([
    {
      list_ids: ['list-1'],
      contacts: [
        { email: 'ann@example.com', first_name: 'Ann', last_name: 'Lee', external_id: 'u-m1', city: 'Berlin', country: 'DE', postal_code: '10115' },
        { email: 'bob@example.com', external_id: 'u-m2' },
      ],
    },
  ]);
  expect(results).toEqual([{ status: 'ok' }, { status: 'ok' }, { status: 'ok', code: 'NO_EMAIL' }]);
});

test('a contact SendGrid refuses fails alone and the others are resent', async () => {
  const { requests, results } = await sendgrid((request) =>
    (request.body as { contacts: unknown[] }).contacts.length === 3
      ? { status: 400, body: { errors: [{ field: 'contacts[1].postal_code', message: 'must be at most 60 characters' }] } }
      : { status: 202, body: { job_id: 'job-2' } },
  ).run(['a', 'b', 'c'].map((x) => identify(x, { email: `${x}@example.com` })));
  expect(results.map((r) => r.status)).toEqual(['ok', 'permanent', 'ok']);
  expect(results[1]).toMatchObject({ code: 'CONTACT_INVALID', message: expect.stringContaining('postal_code') });
  const bodies = sent(requests, 'PUT', CONTACTS);
  expect(bodies).toHaveLength(2);
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
  const {
    results: [limited],
  } = await sendgrid({
    status: 429,
    headers: { 'x-ratelimit-reset': String(reset) },
    body: { errors: [{ field: null, message: 'too many requests' }] },
  }).run(identify('m1', { email: 'a@example.com' }));
  expect(limited!.status).toBe('rate_limited');
  expect(limited!.retryAfterMs).toBeGreaterThan(0);
  expect(retryAfterFromReset('1800000060', 1_800_000_000_000)).toBe(60_000);

  const {
    results: [denied],
    logs,
  } = await sendgrid({ status: 401, body: { errors: [{ field: null, message: 'authorization required' }] } }).run(identify('m1', { email: 'a@example.com' }));
  expect(denied).toMatchObject({ status: 'authentication', httpStatus: 401 });
  expect(denied!.message).not.toContain(API_KEY);
  expect(logs.join('\n')).not.toContain(API_KEY);
});

test('sends the configured dynamic template for a track event, with its data', async () => {
  const { requests, results } = await sendgrid(
    { status: 202, body: '' },
    {
      fromEmail: 'shop@example.com',
      fromName: 'Shop',
      templates: { 'Order Completed': 'd-0123abcd' },
    },
  ).run([
    track('m1', 'Order Completed', { email: 'ann@example.com', firstName: 'Ann' }, { order_id: 'o-1', total: 30 }),
    track('m2', 'Product Viewed', { email: 'ann@example.com' }),
  ]);
  expect(results.map((r) => r.status)).toEqual(['ok', 'ok']);
  expect(requests).toHaveLength(1);
  expect(sent(requests, 'POST', `${API}/v3/mail/send`)).toEqual([
    {
      from: { email: 'shop@example.com', name: 'Shop' },
      template_id: 'd-0123abcd',
      personalizations: [
        {
          to: [{ email: 'ann@example.com', name: 'Ann' }],
          dynamic_template_data: { email: 'ann@example.com', firstName: 'Ann', order_id: 'o-1', total: 30 },
        },
      ],
      custom_args: { switchyard_message_id: 'm1' },
    },
  ]);
});

test('a templated event without a recipient fails permanently', async () => {
  const {
    requests,
    results: [result],
  } = await sendgrid(undefined, { fromEmail: 'shop@example.com', templates: { 'Order Completed': 'd-0123abcd' } }).run(track('m1', 'Order Completed', {}));
  expect(result).toMatchObject({ status: 'permanent', code: 'NO_EMAIL' });
  expect(requests).toEqual([]);
});

test('the EU region calls api.eu.sendgrid.com only', async () => {
  const eu = sendgrid({ status: 202, body: { job_id: 'j' } }, { region: 'eu' });
  expect(egressFor(connector as never, eu.connection.settings)).toEqual(['api.eu.sendgrid.com']);
  expect(regionsFor(connector as never, eu.connection.settings)).toEqual(['eu']);
  const { requests, results } = await eu.run(identify('m1', { email: 'a@example.com' }));
  expect(results).toEqual([{ status: 'ok' }]);
  expect(requests.map((r) => `${r.method} ${r.url}`)).toEqual(['PUT https://api.eu.sendgrid.com/v3/marketing/contacts']);
});

test('erasure looks the contact up by email and deletes it by id', async () => {
  const { requests, result } = await sendgrid((request) =>
    request.method === 'POST'
      ? { status: 200, body: { result: { 'gone@example.com': { contact: { id: 'c-123', email: 'gone@example.com' } } } } }
      : { status: 202, body: { job_id: 'del-1' } },
  ).runDelete({ email: 'Gone@Example.com' });
  expect(result).toEqual({ status: 'ok' });
  expect(requests.map((r) => `${r.method} ${r.url}`)).toEqual([`POST ${CONTACTS}/search/emails`, `DELETE ${CONTACTS}?ids=c-123`]);
  expect(sent(requests, 'POST', `${CONTACTS}/search/emails`)).toEqual([{ emails: ['gone@example.com'] }]);
});

test('erasure of an email SendGrid does not know sends no delete', async () => {
  const { requests, result } = await sendgrid({ status: 404, body: { errors: [{ message: 'No contacts found' }] } }).runDelete({ email: 'nobody@example.com' });
  expect(result).toEqual({ status: 'ok' });
  expect(requests.map((r) => `${r.method} ${r.url}`)).toEqual([`POST ${CONTACTS}/search/emails`]);
});
