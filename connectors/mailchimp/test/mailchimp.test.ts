import { createHash } from 'node:crypto';
import nock from 'nock';
import { checkManifest, egressFor } from '@switchyard/sdk-kit';
import connector, { subscriberHash } from '../src/index.js';
import { connect, makeEvent, run, runDelete } from './helpers.js';

const API_KEY = '0123456789abcdef0123456789abcdef-us21';
const settings = { apiKey: API_KEY, listId: 'list123' };
const API = 'https://us21.api.mailchimp.com';
const basic = `Basic ${Buffer.from(`switchyard:${API_KEY}`).toString('base64')}`;
const md5 = (s: string) => createHash('md5').update(s).digest('hex');

beforeAll(() => { nock.disableNetConnect(); nock.enableNetConnect('127.0.0.1'); });
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

const identify = (messageId: string, traits: Record<string, unknown>) => makeEvent({ messageId, type: 'identify', event: undefined, traits });
const batchOk = { new_members: [], updated_members: [], errors: [], total_created: 1, total_updated: 0, error_count: 0 };

test('the manifest passes the router\'s checks and calls only the key\'s data centre', () => {
  expect(checkManifest(connector)).toEqual([]);
  expect(egressFor(connector as never, settings)).toEqual(['us21.api.mailchimp.com']);
});

test('the subscriber hash is the MD5 of the lower-cased email', () => {
  expect(subscriberHash(' Ann@Example.COM ')).toBe(md5('ann@example.com'));
});

test('adds new members in one batch request with basic auth, without changing existing members\' status', async () => {
  let body: any;
  const scope = nock(API, { reqheaders: { authorization: basic } })
    .post('/3.0/lists/list123', (b) => { body = b; return true; }).reply(200, batchOk);
  const results = await run(connect(connector, settings), [
    identify('m1', { email: 'Ann@Example.com', firstName: 'Ann', lastName: 'Lee' }),
    identify('m2', { email: 'bob@example.com' }),
  ]);
  scope.done();
  expect(results).toEqual([{ status: 'ok' }, { status: 'ok' }]);
  expect(body).toEqual({
    update_existing: false,
    members: [
      { email_address: 'ann@example.com', status: 'subscribed', merge_fields: { FNAME: 'Ann', LNAME: 'Lee' } },
      { email_address: 'bob@example.com', status: 'subscribed' },
    ],
  });
});

test('existing members are updated with PUT and status_if_new; other refusals fail per email', async () => {
  let put: any;
  nock(API)
    .post('/3.0/lists/list123').reply(200, {
      ...batchOk, error_count: 2,
      errors: [
        { email_address: 'ann@example.com', error: 'ann@example.com is already a list member.', error_code: 'ERROR_CONTACT_EXISTS' },
        { email_address: 'fake@example.com', error: 'fake@example.com looks fake or invalid', error_code: 'ERROR_GENERIC' },
      ],
    })
    .put(`/3.0/lists/list123/members/${md5('ann@example.com')}`, (b) => { put = b; return true; })
    .reply(200, { id: md5('ann@example.com'), status: 'unsubscribed' });
  const results = await run(connect(connector, settings), [
    identify('m1', { email: 'ann@example.com', firstName: 'Ann' }),
    identify('m2', { email: 'fake@example.com' }),
    identify('m3', { email: 'new@example.com' }),
  ]);
  expect(nock.isDone()).toBe(true);
  expect(put).toEqual({ email_address: 'ann@example.com', status_if_new: 'subscribed', merge_fields: { FNAME: 'Ann' } });
  expect(results.map((r) => r.status)).toEqual(['ok', 'permanent', 'ok']);
  expect(results[1]).toMatchObject({ code: 'MAILCHIMP_ERROR_GENERIC', message: expect.stringContaining('looks fake') });
});

test('adds tags to members through the tags endpoint', async () => {
  let tags: any;
  nock(API)
    .post('/3.0/lists/list123').reply(200, batchOk)
    .post(`/3.0/lists/list123/members/${md5('ann@example.com')}/tags`, (b) => { tags = b; return true; }).reply(204);
  const results = await run(connect(connector, settings), [identify('m1', { email: 'ann@example.com', tags: ['vip', 'beta'] })]);
  expect(nock.isDone()).toBe(true);
  expect(results).toEqual([{ status: 'ok' }]);
  expect(tags).toEqual({ tags: [{ name: 'vip', status: 'active' }, { name: 'beta', status: 'active' }] });
});

test('sends one member per email in a batch, the latest event winning', async () => {
  let body: any;
  nock(API).post('/3.0/lists/list123', (b) => { body = b; return true; }).reply(200, batchOk);
  const results = await run(connect(connector, settings), [
    identify('m1', { email: 'ann@example.com', firstName: 'Old' }), identify('m2', { email: 'ANN@example.com', firstName: 'New' }),
  ]);
  expect(body.members).toEqual([{ email_address: 'ann@example.com', status: 'subscribed', merge_fields: { FNAME: 'New' } }]);
  expect(results).toEqual([{ status: 'ok' }, { status: 'ok' }]);
});

test.each([[401, 'authentication'], [429, 'rate_limited'], [503, 'retryable']])('HTTP %i from Mailchimp is %s', async (status, outcome) => {
  nock(API).post('/3.0/lists/list123').reply(status, { title: 'Problem', status, detail: 'details here' });
  const [result] = await run(connect(connector, settings), [identify('m1', { email: 'a@example.com' })]);
  expect(result).toMatchObject({ status: outcome, httpStatus: status });
  expect(result!.message).not.toContain(API_KEY);
});

test('erasure deletes the member permanently by default', async () => {
  const scope = nock(API, { reqheaders: { authorization: basic } })
    .post(`/3.0/lists/list123/members/${md5('gone@example.com')}/actions/delete-permanent`).reply(204);
  await runDelete(connect(connector, settings), { email: 'Gone@Example.com' });
  scope.done();
});

test('erasure archives the member when deleteMode is archive, and a member Mailchimp lacks needs nothing', async () => {
  const scope = nock(API).delete(`/3.0/lists/list123/members/${md5('gone@example.com')}`).reply(204);
  await runDelete(connect(connector, { ...settings, deleteMode: 'archive' }), { email: 'gone@example.com' });
  scope.done();

  nock(API).post(`/3.0/lists/list123/members/${md5('nobody@example.com')}/actions/delete-permanent`)
    .reply(404, { title: 'Resource Not Found', status: 404 });
  await expect(runDelete(connect(connector, settings), { email: 'nobody@example.com' })).resolves.toBeUndefined();
});

test('refuses an API key without a data centre', () => {
  expect(() => connect(connector, { ...settings, apiKey: '0123456789abcdef' })).toThrow(/apiKey/);
});

test('never puts more than 500 members in one batch request', async () => {
  const sizes: number[] = [];
  nock(API).post('/3.0/lists/list123', (b) => { sizes.push(b.members.length); return true; }).times(2).reply(200, batchOk);
  const events = Array.from({ length: 501 }, (_, i) => identify(`m${i}`, { email: `u${i}@example.com` }));
  const results = await run(connect(connector, settings), events);
  expect(sizes).toEqual([500, 1]);
  expect(results.every((r) => r.status === 'ok')).toBe(true);
});
