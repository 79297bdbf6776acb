import { buildAudience, createTestHarness, type CapturedRequest } from '@switchyard/sdk-kit/testing';
import connector, { verifySignature, type AudienceBody } from '../src/index.js';

const SECRET = 'whsec-0123456789';
const settings = { url: 'https://hooks.example.com/switchyard', sharedSecret: SECRET, timeoutMs: 1000 };
const hook = () => createTestHarness(connector, { settings });
const bodyOf = (r: CapturedRequest) => r.body as AudienceBody;

test('posts each membership change as JSON with the audience, the action and every identifier the person has', async () => {
  const entered = buildAudience({
    messageId: 'm-1',
    profileId: '42',
    identities: { user_id: 'u-1', anonymous_id: 'a-1', email: ' Jane@Example.com ', phone: '+1 650 555 1212' },
    audience: { key: 'vip', name: 'VIP', action: 'add', at: '2026-01-15T10:00:00.000Z', sync: { listId: 'crm-7' } },
  });
  const { requests, results } = await hook().run(entered);
  expect(results).toEqual([{ status: 'ok' }]);
  expect(requests).toHaveLength(1);
  expect(requests[0]).toMatchObject({ method: 'POST', url: settings.url });
  expect(requests[0]!.body).toEqual({
    type: 'audience',
    audience: { key: 'vip', name: 'VIP' },
    action: 'add',
    sync: { listId: 'crm-7' },
    members: [
      {
        messageId: 'm-1',
        profileId: '42',
        identifiers: { user_id: 'u-1', anonymous_id: 'a-1', email: 'jane@example.com', phone: '+16505551212', profile_id: '42' },
        at: '2026-01-15T10:00:00.000Z',
      },
    ],
  });
  // Signed like every other body the connector sends.
  expect(verifySignature(JSON.stringify(requests[0]!.body), requests[0]!.headers['x-switchyard-signature'], SECRET)).toBe(true);
});

test('sends removes in their own request, with action "remove"', async () => {
  const { requests } = await hook().run([
    buildAudience({ messageId: 'm-1', profileId: '1', audience: { action: 'add' } }),
    buildAudience({ messageId: 'm-2', profileId: '2', audience: { action: 'remove', at: '2026-02-01T00:00:00.000Z' } }),
  ]);
  expect(requests.map((r) => [bodyOf(r).action, bodyOf(r).members.map((m) => m.messageId)])).toEqual([
    ['add', ['m-1']],
    ['remove', ['m-2']],
  ]);
  expect(bodyOf(requests[1]!).members[0]!.at).toBe('2026-02-01T00:00:00.000Z');
  expect(bodyOf(requests[0]!)).not.toHaveProperty('sync');
});

test('puts at most 1,000 members in one request', async () => {
  const events = Array.from({ length: 1001 }, (_, i) => buildAudience({ messageId: `m-${i}`, profileId: String(i) }));
  const { requests, results } = await hook().run(events);
  expect(requests.map((r) => bodyOf(r).members.length)).toEqual([1000, 1]);
  expect(results.every((r) => r.status === 'ok')).toBe(true);
});

test('a person with no identifier at all is counted unmatched and not sent', async () => {
  const nobody = { ...buildAudience({ messageId: 'm-0', userId: undefined, anonymousId: undefined, profileId: undefined }), identities: {} };
  const { requests, results } = await hook().run([nobody, buildAudience({ messageId: 'm-1' })]);
  expect(results).toEqual([{ status: 'ok', code: 'UNMATCHED' }, { status: 'ok' }]);
  expect(requests).toHaveLength(1);
  expect(bodyOf(requests[0]!).members.map((m) => m.messageId)).toEqual(['m-1']);
});

test('takes per-member errors from the receiver and waits as long as a 429 says, without leaking the secret', async () => {
  const partial = hook().intercept('hooks.example.com', () => ({ status: 200, body: { errors: [{ index: 1, status: 422, message: 'unknown list' }] } }));
  const { results } = await partial.run([buildAudience({ profileId: '1' }), buildAudience({ profileId: '2' })]);
  expect(results.map((r) => r.status)).toEqual(['ok', 'permanent']);

  const limited = hook().intercept('hooks.example.com', () => ({ status: 429, headers: { 'retry-after': '30' }, body: `slow down ${SECRET}` }));
  const {
    results: [result],
    logs,
  } = await limited.run(buildAudience());
  expect(result).toMatchObject({ status: 'rate_limited', code: 'HTTP_429', retryAfterMs: 30_000 });
  expect(result!.message).not.toContain(SECRET);
  expect(logs.join('\n')).not.toContain(SECRET);
});
