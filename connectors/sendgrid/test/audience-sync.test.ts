import { buildAudience, createTestHarness, type CapturedRequest, type MockResponse } from '@switchyard/sdk-kit/testing';
import connector from '../src/index.js';

const API_KEY = 'SG.test-key.abcdefghijklmnop';
const settings = { apiKey: API_KEY, listIds: ['every-contact'] };
const API = 'https://api.sendgrid.com/v3';
const SEARCH = `${API}/marketing/contacts/search/emails`;
const sync = { listId: 'vip-list' };

/** A fake SendGrid: the contacts search knows the emails in `contacts` (email → id); other requests are accepted. */
function sendgrid(contacts: Record<string, string> = {}, answers: Record<string, MockResponse> = {}) {
  return createTestHarness(connector, { settings }).intercept('api.sendgrid.com', (request) => {
    const answer = answers[`${request.method} ${request.url.split('?')[0]}`];
    if (answer) return answer;
    if (request.url === SEARCH) {
      const emails = (request.body as { emails: string[] }).emails;
      const result = Object.fromEntries(emails.map((e) => [e, contacts[e] ? { contact: { id: contacts[e], email: e } } : { error: 'contact not found' }]));
      return Object.values(result).some((r) => 'contact' in r)
        ? { status: 200, body: { result } }
        : { status: 404, body: { errors: [{ message: 'No contacts found' }] } };
    }
    return { status: 202, body: { job_id: 'job-1' } };
  });
}
const calls = (requests: CapturedRequest[]) =>
  requests.map((r) => {
    expect(r.headers.authorization).toBe(`Bearer ${API_KEY}`);
    return [r.method, r.url, r.body];
  });

/** A person with exactly these identities. */
const person = (id: string, identities: Record<string, string>, action: 'add' | 'remove' = 'add') => ({
  ...buildAudience({ messageId: `m-${id}`, profileId: id, userId: undefined, anonymousId: undefined, audience: { sync, action } }),
  identities,
});

test("adds people to the sync's list with PUT /v3/marketing/contacts and list_ids", async () => {
  const { requests, results } = await sendgrid().run([person('1', { email: ' Ann@Example.com ' }), person('2', { email: 'bob@example.com' })]);
  expect(results).toEqual([{ status: 'ok' }, { status: 'ok' }]);
  expect(calls(requests)).toEqual([
    ['PUT', `${API}/marketing/contacts`, { list_ids: ['vip-list'], contacts: [{ email: 'ann@example.com' }, { email: 'bob@example.com' }] }],
  ]);
});

test('removes people from the list by contact id: a contacts search, then DELETE /v3/marketing/lists/{id}/contacts', async () => {
  const { requests, results } = await sendgrid({ 'a@example.com': 'id-a', 'b@example.com': 'id-b' }).run([
    person('1', { email: 'a@example.com' }, 'remove'),
    person('2', { email: 'b@example.com' }, 'remove'),
    person('3', { email: 'stranger@example.com' }, 'remove'),
  ]);
  expect(results).toEqual([{ status: 'ok' }, { status: 'ok' }, { status: 'ok', code: 'UNMATCHED', message: 'no SendGrid contact has this email' }]);
  expect(calls(requests)).toEqual([
    ['POST', SEARCH, { emails: ['a@example.com', 'b@example.com', 'stranger@example.com'] }],
    ['DELETE', `${API}/marketing/lists/vip-list/contacts?contact_ids=id-a%2Cid-b`, undefined],
  ]);
});

test('searches at most 100 emails at a time, and sends no removal when none is a contact', async () => {
  const removes = Array.from({ length: 101 }, (_, i) => person(String(i), { email: `u${i}@example.com` }, 'remove'));
  const { requests, results } = await sendgrid({ 'u100@example.com': 'id-100' }).run(removes);
  expect(requests.filter((r) => r.url === SEARCH).map((r) => (r.body as { emails: string[] }).emails.length)).toEqual([100, 1]);
  expect(requests.filter((r) => r.method === 'DELETE').map((r) => r.url)).toEqual([`${API}/marketing/lists/vip-list/contacts?contact_ids=id-100`]);
  expect(results.filter((r) => r.code === 'UNMATCHED')).toHaveLength(100);
});

test('people without an email are unmatched and not sent; a sync needs a list id', async () => {
  const { requests, results } = await sendgrid().run([person('1', { phone: '+16505551212' }), person('2', { email: 'a@example.com' })]);
  expect(results.map((r) => r.code)).toEqual(['UNMATCHED', undefined]);
  expect((requests[0]!.body as { contacts: unknown[] }).contacts).toEqual([{ email: 'a@example.com' }]);

  const noList = await sendgrid().run({ ...person('3', { email: 'a@example.com' }), audience: { key: 'vip', action: 'add', at: '2026-01-15T10:00:00Z' } });
  expect(noList.requests).toHaveLength(0);
  expect(noList.results[0]).toMatchObject({ status: 'permanent', code: 'SYNC_SETTINGS_INVALID', message: 'audience.sync.listId: is required' });
});

test('a 429 waits until X-RateLimit-Reset, and the API key never shows in errors or logs', async () => {
  const reset = Math.ceil(Date.now() / 1000) + 20;
  const limited = { status: 429, headers: { 'x-ratelimit-reset': String(reset) }, body: { errors: [{ message: `too many requests for ${API_KEY}` }] } };
  const { results, logs } = await sendgrid({}, { [`PUT ${API}/marketing/contacts`]: limited }).run(person('1', { email: 'a@example.com' }));
  expect(results[0]).toMatchObject({ status: 'rate_limited', code: 'HTTP_429' });
  expect(results[0]!.retryAfterMs).toBeGreaterThan(15_000);
  expect(results[0]!.retryAfterMs).toBeLessThanOrEqual(21_000);
  expect(results[0]!.message).not.toContain(API_KEY);
  expect(logs.join('\n')).not.toContain(API_KEY);

  const proxied = await sendgrid(
    { 'a@example.com': 'id-a' },
    { [`DELETE ${API}/marketing/lists/vip-list/contacts`]: { status: 429, headers: { 'retry-after': '4' } } },
  ).run(person('1', { email: 'a@example.com' }, 'remove'));
  expect(proxied.results[0]).toMatchObject({ status: 'rate_limited', retryAfterMs: 4_000 });
});
