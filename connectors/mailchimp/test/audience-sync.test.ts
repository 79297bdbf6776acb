import { createHash } from 'node:crypto';
import { buildAudience, createTestHarness, type CapturedRequest, type MockResponse } from '@switchyard/sdk-kit/testing';
import connector from '../src/index.js';

const API_KEY = '0123456789abcdef0123456789abcdef-us21';
const settings = { apiKey: API_KEY, listId: 'list123' };
const API = 'https://us21.api.mailchimp.com/3.0';
const basic = `Basic ${Buffer.from(`switchyard:${API_KEY}`).toString('base64')}`;
const md5 = (s: string) => createHash('md5').update(s).digest('hex');
const segmentOk = { members_added: [], members_removed: [], errors: [], total_added: 1, total_removed: 0, error_count: 0 };

function mailchimp(answers: Record<string, MockResponse> = {}) {
  return createTestHarness(connector, { settings }).intercept(
    'us21.api.mailchimp.com',
    (request) => answers[`${request.method} ${request.url}`] ?? (request.url.endsWith('/tags') ? { status: 204 } : { status: 200, body: segmentOk }),
  );
}
const calls = (requests: CapturedRequest[]) =>
  requests.map((r) => {
    expect(r.headers.authorization).toBe(basic);
    return [r.method, r.url, r.body];
  });

/** A person with exactly these identities. */
const person = (id: string, identities: Record<string, string>, audience: Parameters<typeof buildAudience>[0]['audience'] = {}) => ({
  ...buildAudience({ messageId: `m-${id}`, profileId: id, userId: undefined, anonymousId: undefined, audience }),
  identities,
});

test('adds and removes people of a static segment by email, in separate batch requests', async () => {
  const sync = { segmentId: '9001' };
  const { requests, results } = await mailchimp().run([
    person('1', { email: ' Ann@Example.com ' }, { sync }),
    person('2', { email: 'bob@example.com' }, { sync, action: 'remove' }),
    person('3', { email: 'cy@example.com' }, { sync }),
  ]);
  expect(results).toEqual([{ status: 'ok' }, { status: 'ok' }, { status: 'ok' }]);
  expect(calls(requests)).toEqual([
    ['POST', `${API}/lists/list123/segments/9001`, { members_to_add: ['ann@example.com', 'cy@example.com'] }],
    ['POST', `${API}/lists/list123/segments/9001`, { members_to_remove: ['bob@example.com'] }],
  ]);
});

test('puts at most 500 emails in one segment request', async () => {
  const events = Array.from({ length: 501 }, (_, i) => person(String(i), { email: `u${i}@example.com` }, { sync: { segmentId: '9001' } }));
  const { requests } = await mailchimp().run(events);
  expect(requests.map((r) => (r.body as { members_to_add: string[] }).members_to_add.length)).toEqual([500, 1]);
});

test('people without an email, and emails Mailchimp does not have in the audience, are unmatched', async () => {
  const sync = { segmentId: '9001', listId: 'other-list' };
  const answers = {
    [`POST ${API}/lists/other-list/segments/9001`]: {
      status: 200,
      body: { ...segmentOk, errors: [{ email_addresses: ['zed@example.com'], error: 'Email address is not a member of the list' }], error_count: 1 },
    },
  };
  const { requests, results } = await mailchimp(answers).run([
    person('1', { phone: '+16505551212', user_id: 'u-1' }, { sync }),
    person('2', { email: 'a@example.com' }, { sync }),
    person('3', { email: 'Zed@Example.com' }, { sync }),
  ]);
  expect(results).toEqual([
    { status: 'ok', code: 'UNMATCHED' },
    { status: 'ok' },
    { status: 'ok', code: 'UNMATCHED', message: 'Email address is not a member of the list' },
  ]);
  expect(calls(requests)).toEqual([['POST', `${API}/lists/other-list/segments/9001`, { members_to_add: ['a@example.com', 'zed@example.com'] }]]);
});

test('with a tag name, tags each member active on add and inactive on remove; a non-member is unmatched', async () => {
  const sync = { tag: 'VIP customers' };
  const answers = {
    [`POST ${API}/lists/list123/members/${md5('gone@example.com')}/tags`]: { status: 404, body: { title: 'Resource Not Found', status: 404 } },
  };
  const { requests, results } = await mailchimp(answers).run([
    person('1', { email: 'a@example.com' }, { sync }),
    person('2', { email: 'gone@example.com' }, { sync }),
    person('3', { email: 'b@example.com' }, { sync, action: 'remove' }),
  ]);
  expect(results).toEqual([{ status: 'ok' }, { status: 'ok', code: 'UNMATCHED', message: 'not a member of the audience' }, { status: 'ok' }]);
  expect(calls(requests)).toEqual([
    ['POST', `${API}/lists/list123/members/${md5('a@example.com')}/tags`, { tags: [{ name: 'VIP customers', status: 'active' }] }],
    ['POST', `${API}/lists/list123/members/${md5('gone@example.com')}/tags`, { tags: [{ name: 'VIP customers', status: 'active' }] }],
    ['POST', `${API}/lists/list123/members/${md5('b@example.com')}/tags`, { tags: [{ name: 'VIP customers', status: 'inactive' }] }],
  ]);
});

test('a sync must name a segment or a tag, not both', async () => {
  for (const sync of [{}, { segmentId: '1', tag: 'x' }]) {
    const { requests, results } = await mailchimp().run(person('1', { email: 'a@example.com' }, { sync }));
    expect(requests).toHaveLength(0);
    expect(results[0]).toMatchObject({ status: 'permanent', code: 'SYNC_SETTINGS_INVALID' });
  }
});

test('a 429 is rate_limited with Retry-After honoured, and the API key never shows in errors or logs', async () => {
  const limited = { status: 429, headers: { 'retry-after': '15' }, body: { title: 'Too Many Requests', detail: `key ${API_KEY} made too many requests` } };
  for (const sync of [{ segmentId: '9001' }, { tag: 'vip' }]) {
    const url = 'segmentId' in sync ? `${API}/lists/list123/segments/9001` : `${API}/lists/list123/members/${md5('a@example.com')}/tags`;
    const { results, logs } = await mailchimp({ [`POST ${url}`]: limited }).run(person('1', { email: 'a@example.com' }, { sync }));
    expect(results[0]).toMatchObject({ status: 'rate_limited', retryAfterMs: 15_000 });
    expect(results[0]!.message).not.toContain(API_KEY);
    expect(logs.join('\n')).not.toContain(API_KEY);
  }
});

describe('listMembers (mirror syncs)', () => {
  const page = (emails: string[], total: number) => ({
    status: 200,
    body: { members: emails.map((email_address) => ({ email_address })), total_items: total },
  });

  test('pages through a static segment with count and offset, by email', async () => {
    const harness = createTestHarness(connector, { settings }).intercept('us21.api.mailchimp.com', (request) =>
      request.url.includes('offset=0') ? page(['Ann@Example.com', 'bob@example.com'], 3) : page(['cy@example.com'], 3),
    );
    const audience = { key: 'pro' };
    const first = await harness.runListMembers({ audience, sync: { segmentId: '9001' } });
    expect(first.result).toEqual({ status: 'ok' });
    expect(first.members).toEqual([{ identifiers: { email: 'ann@example.com' } }, { identifiers: { email: 'bob@example.com' } }]);
    expect(first.next).toBe('2');
    expect(first.requests.map((r) => [r.method, r.url])).toEqual([
      ['GET', `${API}/lists/list123/segments/9001/members?count=1000&offset=0&fields=members.email_address,total_items`],
    ]);
    expect(first.requests[0]!.headers.authorization).toBe(basic);
    const last = await harness.runListMembers({ audience, sync: { segmentId: '9001' }, cursor: first.next });
    expect(last.members).toEqual([{ identifiers: { email: 'cy@example.com' } }]);
    expect(last.next).toBeUndefined();
    expect(last.requests[0]!.url).toContain('offset=2');
  });

  test('finds a tag by its exact name with tag-search, and a tag not created yet holds no one', async () => {
    const tags = {
      status: 200,
      body: {
        tags: [
          { id: 77, name: 'pro-users' },
          { id: 78, name: 'pro' },
        ],
        total_items: 2,
      },
    };
    const harness = createTestHarness(connector, { settings }).intercept('us21.api.mailchimp.com', (request) =>
      request.url.includes('/tag-search') ? tags : page(['a@example.com'], 1),
    );
    const listed = await harness.runListMembers({ audience: { key: 'pro' }, sync: { tag: 'pro' } });
    expect(listed.requests.map((r) => r.url)).toEqual([
      `${API}/lists/list123/tag-search?name=pro`,
      `${API}/lists/list123/segments/78/members?count=1000&offset=0&fields=members.email_address,total_items`,
    ]);
    expect(listed.members).toEqual([{ identifiers: { email: 'a@example.com' } }]);
    const none = await harness.runListMembers({ audience: { key: 'pro' }, sync: { tag: 'never-made' } });
    expect(none.members).toEqual([]);
    expect(none.requests).toHaveLength(1);
  });

  test('a 401 is an authentication failure, with the API key nowhere in the message', async () => {
    const harness = createTestHarness(connector, { settings }).intercept('us21.api.mailchimp.com', () => ({
      status: 401,
      body: { title: 'API Key Invalid', status: 401, detail: `Your API key may be invalid: ${API_KEY}` },
    }));
    const listed = await harness.runListMembers({ audience: { key: 'pro' }, sync: { segmentId: '9001' } });
    expect(listed.result.status).toBe('authentication');
    expect(listed.result.message).not.toContain(API_KEY);
    expect(listed.members).toEqual([]);
  });
});
