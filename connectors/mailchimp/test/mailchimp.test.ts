import { createHash } from 'node:crypto';
import { checkManifest, egressFor, type CanonicalEvent } from '@switchyard/sdk-kit';
import { buildIdentify, createTestHarness, type CapturedRequest, type MockResponse } from '@switchyard/sdk-kit/testing';
import connector, { subscriberHash } from '../src/index.js';

const API_KEY = '0123456789abcdef0123456789abcdef-us21';
const settings = { apiKey: API_KEY, listId: 'list123' };
const LIST = 'https://us21.api.mailchimp.com/3.0/lists/list123';
const basic = `Basic ${Buffer.from(`switchyard:${API_KEY}`).toString('base64')}`;
const md5 = (s: string) => createHash('md5').update(s).digest('hex');

/** An identify event carrying only the traits given, so the members hold exactly what the test expects. */
const identify = (messageId: string, traits: Record<string, unknown>): CanonicalEvent => ({ ...buildIdentify({ messageId }), identities: {}, traits });
const batchOk = { new_members: [], updated_members: [], errors: [], total_created: 1, total_updated: 0, error_count: 0 };

/** A connection to a Mailchimp that answers each URL as `answers` says, and anything else with the batch success. */
function mailchimp(answers: Record<string, MockResponse> = {}, extra: Record<string, unknown> = {}) {
  return createTestHarness(connector, { settings: { ...settings, ...extra } }).intercept(
    'us21.api.mailchimp.com',
    (request) => answers[`${request.method} ${request.url}`] ?? { status: 200, body: batchOk },
  );
}

/** Bodies sent as `method url`, after checking every request carried the API key as basic auth. */
function sent(requests: CapturedRequest[], method: string, url: string): any[] {
  for (const request of requests) expect(request.headers.authorization).toBe(basic);
  return requests.filter((r) => r.method === method && r.url === url).map((r) => r.body);
}

test("the manifest passes the router's checks and calls only the key's data centre", () => {
  expect(checkManifest(connector)).toEqual([]);
  expect(egressFor(connector as never, settings)).toEqual(['us21.api.mailchimp.com']);
});

test('the subscriber hash is the MD5 of the lower-cased email', () => {
  expect(subscriberHash(' Ann@Example.COM ')).toBe(md5('ann@example.com'));
});

test("adds new members in one batch request with basic auth, without changing existing members' status", async () => {
  const { requests, results } = await mailchimp().run([
    identify('m1', { email: 'Ann@Example.com', firstName: 'Ann', lastName: 'Lee' }),
    identify('m2', { email: 'bob@example.com' }),
  ]);
  expect(results).toEqual([{ status: 'ok' }, { status: 'ok' }]);
  expect(requests).toHaveLength(1);
  expect(sent(requests, 'POST', LIST)).toEqual([
    {
      update_existing: false,
      members: [
        { email_address: 'ann@example.com', status: 'subscribed', merge_fields: { FNAME: 'Ann', LNAME: 'Lee' } },
        { email_address: 'bob@example.com', status: 'subscribed' },
      ],
    },
  ]);
});

test('existing members are updated with PUT and status_if_new; other refusals fail per email', async () => {
  const MEMBER = `${LIST}/members/${md5('ann@example.com')}`;
  const { requests, results } = await mailchimp({
    [`POST ${LIST}`]: {
      status: 200,
      body: {
        ...batchOk,
        error_count: 2,
        errors: [
          { email_address: 'ann@example.com', error: 'ann@example.com is already a list member.', error_code: 'ERROR_CONTACT_EXISTS' },
          { email_address: 'fake@example.com', error: 'fake@example.com looks fake or invalid', error_code: 'ERROR_GENERIC' },
        ],
      },
    },
    [`PUT ${MEMBER}`]: { status: 200, body: { id: md5('ann@example.com'), status: 'unsubscribed' } },
  }).run([
    identify('m1', { email: 'ann@example.com', firstName: 'Ann' }),
    identify('m2', { email: 'fake@example.com' }),
    identify('m3', { email: 'new@example.com' }),
  ]);
  expect(requests.map((r) => `${r.method} ${r.url}`)).toEqual([`POST ${LIST}`, `PUT ${MEMBER}`]);
  expect(sent(requests, 'PUT', MEMBER)).toEqual([{ email_address: 'ann@example.com', status_if_new: 'subscribed', merge_fields: { FNAME: 'Ann' } }]);
  expect(results.map((r) => r.status)).toEqual(['ok', 'permanent', 'ok']);
  expect(results[1]).toMatchObject({ code: 'MAILCHIMP_ERROR_GENERIC', message: expect.stringContaining('looks fake') });
});

test('adds tags to members through the tags endpoint', async () => {
  const TAGS = `${LIST}/members/${md5('ann@example.com')}/tags`;
  const { requests, results } = await mailchimp({ [`POST ${TAGS}`]: { status: 204 } }).run([
    identify('m1', { email: 'ann@example.com', tags: ['vip', 'beta'] }),
  ]);
  expect(requests.map((r) => `${r.method} ${r.url}`)).toEqual([`POST ${LIST}`, `POST ${TAGS}`]);
  expect(results).toEqual([{ status: 'ok' }]);
  expect(sent(requests, 'POST', TAGS)).toEqual([
    {
      tags: [
        { name: 'vip', status: 'active' },
        { name: 'beta', status: 'active' },
      ],
    },
  ]);
});

test('sends one member per email in a batch, the latest event winning', async () => {
  const { requests, results } = await mailchimp().run([
    identify('m1', { email: 'ann@example.com', firstName: 'Old' }),
    identify('m2', { email: 'ANN@example.com', firstName: 'New' }),
  ]);
  const [body] = sent(requests, 'POST', LIST);
  expect(requests).toHaveLength(1);
  expect(body.members).toEqual([{ email_address: 'ann@example.com', status: 'subscribed', merge_fields: { FNAME: 'New' } }]);
  expect(results).toEqual([{ status: 'ok' }, { status: 'ok' }]);
});

test.each([
  [401, 'authentication'],
  [429, 'rate_limited'],
  [503, 'retryable'],
])('HTTP %i from Mailchimp is %s', async (status, outcome) => {
  const {
    results: [result],
    logs,
  } = await mailchimp({ [`POST ${LIST}`]: { status, body: { title: 'Problem', status, detail: 'details here' } } }).run([
    identify('m1', { email: 'a@example.com' }),
  ]);
  expect(result).toMatchObject({ status: outcome, httpStatus: status });
  expect(result!.message).not.toContain(API_KEY);
  expect(logs.join('\n')).not.toContain(API_KEY);
});

test('erasure deletes the member permanently by default', async () => {
  const DELETE = `${LIST}/members/${md5('gone@example.com')}/actions/delete-permanent`;
  const { requests, result } = await mailchimp({ [`POST ${DELETE}`]: { status: 204 } }).runDelete({ email: 'Gone@Example.com' });
  expect(result).toEqual({ status: 'ok' });
  expect(requests.map((r) => `${r.method} ${r.url}`)).toEqual([`POST ${DELETE}`]);
  expect(requests[0]!.headers.authorization).toBe(basic);
});

test('erasure archives the member when deleteMode is archive, and a member Mailchimp lacks needs nothing', async () => {
  const MEMBER = `${LIST}/members/${md5('gone@example.com')}`;
  const archived = await mailchimp({ [`DELETE ${MEMBER}`]: { status: 204 } }, { deleteMode: 'archive' }).runDelete({ email: 'gone@example.com' });
  expect(archived.result).toEqual({ status: 'ok' });
  expect(archived.requests.map((r) => `${r.method} ${r.url}`)).toEqual([`DELETE ${MEMBER}`]);

  const MISSING = `${LIST}/members/${md5('nobody@example.com')}/actions/delete-permanent`;
  const missing = await mailchimp({ [`POST ${MISSING}`]: { status: 404, body: { title: 'Resource Not Found', status: 404 } } }).runDelete({
    email: 'nobody@example.com',
  });
  expect(missing.requests.map((r) => `${r.method} ${r.url}`)).toEqual([`POST ${MISSING}`]);
  expect(missing.result).toEqual({ status: 'ok' });
});

test('refuses an API key without a data centre', () => {
  expect(() => createTestHarness(connector, { settings: { ...settings, apiKey: '0123456789abcdef' } })).toThrow(/apiKey/);
});

test('never puts more than 500 members in one batch request', async () => {
  const events = Array.from({ length: 501 }, (_, i) => identify(`m${i}`, { email: `u${i}@example.com` }));
  const { requests, results } = await mailchimp().run(events);
  expect(sent(requests, 'POST', LIST).map((b) => b.members.length)).toEqual([500, 1]);
  expect(results.every((r) => r.status === 'ok')).toBe(true);
});
