// Zendesk's Support API as documented, which the stub checks:
// https://developer.zendesk.com/api-reference/ticketing/users/users/ (create_or_update, search, delete) and
// https://developer.zendesk.com/api-reference/ticketing/users/deleted_users/ (permanent deletion), API-token auth
// https://developer.zendesk.com/api-reference/introduction/security-and-auth/ (email/token:api_token), 429 Retry-After.
import { checkManifest, egressFor } from '@switchyard/sdk-kit';
import { buildIdentify, createTestHarness } from '@switchyard/sdk-kit/testing';
import connector from '../src/index.js';
import { AGENT, API_TOKEN, zendeskApi, type ZendeskUser } from './zendesk-stub.js';

const settings = { subdomain: 'acme', email: AGENT, apiToken: API_TOKEN };

function zendesk(extra: Record<string, unknown> = {}, users: ZendeskUser[] = []) {
  return { harness: createTestHarness(connector, { settings: { ...settings, ...extra } }).intercept('acme.zendesk.com', zendeskApi(users)), users };
}
const identify = (userId: string | undefined, traits: Record<string, unknown>) => ({ ...buildIdentify({ userId }), traits });

test("the manifest passes the router's checks and calls only the account's host", () => {
  expect(checkManifest(connector)).toEqual([]);
  expect(egressFor(connector as never, createTestHarness(connector, { settings }).connection.settings)).toEqual(['acme.zendesk.com']);
});

test('identify creates the user, then updates the same user by external_id', async () => {
  const { harness, users } = zendesk();
  const first = await harness.run(identify('u-1', { email: ' Ann@Example.com ', firstName: 'Ann', lastName: 'Lee', phone: '+15555550100' }));
  expect(first.results).toEqual([{ status: 'ok' }]);
  expect(first.requests.map((r) => [r.method, r.url, r.body])).toEqual([
    [
      'POST',
      'https://acme.zendesk.com/api/v2/users/create_or_update',
      { user: { name: 'Ann Lee', external_id: 'u-1', email: 'ann@example.com', phone: '+15555550100' } },
    ],
  ]);
  await harness.run(identify('u-1', { email: 'ann@example.com', name: 'Ann L.' }));
  expect(users).toEqual([expect.objectContaining({ id: 1000, external_id: 'u-1', name: 'Ann L.', active: true })]);
});

test('a user without a name is named by their email; without email or user id nothing is sent', async () => {
  const { harness, users } = zendesk();
  const { results, requests } = await harness.run([identify(undefined, { email: 'bob@example.com' }), identify(undefined, { plan: 'pro' })]);
  expect(results).toEqual([{ status: 'ok' }, { status: 'ok' }]);
  expect(requests).toHaveLength(1);
  expect(users).toEqual([expect.objectContaining({ name: 'bob@example.com', email: 'bob@example.com' })]);
});

test("a 422 fails permanently with Zendesk's field details; a wrong token is an authentication failure without the token", async () => {
  const { harness } = zendesk({}, [{ id: 7, name: 'Eve', email: 'eve@example.com', external_id: 'u-7', active: true }]);
  const { results } = await harness.run(identify('u-8', { email: 'eve@example.com', name: 'Not Eve' }));
  expect(results[0]).toMatchObject({ status: 'permanent', httpStatus: 422, message: expect.stringContaining('already being used by another user') });

  const wrong = 'zd-wrong-token-000000';
  const denied = await zendesk({ apiToken: wrong }).harness.run(identify('u-1', { email: 'a@example.com' }));
  expect(denied.results[0]).toMatchObject({ status: 'authentication', httpStatus: 401, message: expect.stringContaining("Couldn't authenticate you") });
  expect(denied.results[0]!.message).not.toContain(wrong);
  expect(denied.logs.join('\n')).not.toContain(wrong);
});

test('a 429 waits for Retry-After', async () => {
  const { results } = await createTestHarness(connector, { settings })
    .intercept('acme.zendesk.com', () => ({ status: 429, headers: { 'retry-after': '45' }, body: { error: 'TooManyRequests' } }))
    .run(identify('u-1', { email: 'a@example.com' }));
  expect(results[0]).toMatchObject({ status: 'rate_limited', retryAfterMs: 45_000 });
});

test('erasure finds the user by external id, deletes and then permanently deletes them', async () => {
  const { harness, users } = zendesk({}, [
    { id: 5, name: 'Ann', email: 'ann@example.com', external_id: 'u-5', active: true },
    { id: 6, name: 'Bob', email: 'bob@example.com', active: true },
  ]);
  const { requests, result } = await harness.runDelete({ user_id: 'u-5', email: 'ann@example.com' });
  expect(result).toEqual({ status: 'ok' });
  expect(requests.map((r) => [r.method, r.url])).toEqual([
    ['GET', 'https://acme.zendesk.com/api/v2/users/search?external_id=u-5'],
    ['DELETE', 'https://acme.zendesk.com/api/v2/users/5'],
    ['DELETE', 'https://acme.zendesk.com/api/v2/deleted_users/5'],
  ]);
  expect(users.map((u) => u.id)).toEqual([6]);

  const byEmail = await harness.runDelete({ email: ' Bob@Example.com' });
  expect(byEmail.requests[0]!.url).toBe('https://acme.zendesk.com/api/v2/users/search?query=email%3Abob%40example.com');
  expect(users).toEqual([]);

  const nobody = await harness.runDelete({ user_id: 'u-404' });
  expect(nobody.result).toEqual({ status: 'ok' });
  expect(nobody.requests).toHaveLength(1);
});

test('with permanentlyDelete off the user stays among deleted users', async () => {
  const { harness, users } = zendesk({ permanentlyDelete: false }, [{ id: 5, name: 'Ann', external_id: 'u-5', active: true }]);
  const { requests } = await harness.runDelete({ user_id: 'u-5' });
  expect(requests.map((r) => r.method)).toEqual(['GET', 'DELETE']);
  expect(users).toEqual([expect.objectContaining({ id: 5, active: false })]);
});
