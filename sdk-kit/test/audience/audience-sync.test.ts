import { checkManifest, checkSyncSettings, REVOKED, type CanonicalEvent, type SendGuard } from '../../src/index.js';
import { buildAudience, buildTrack, createTestHarness, type CapturedRequest } from '../../src/testing/index.js';
import { renderConnectorDocs } from '../../src/docs/index.js';
import acme from '../fixtures/good-connector.js';
import lists from '../fixtures/audience-connector.js';

const settings = { apiKey: 'acme-key-0123456789' };
const harness = () => createTestHarness(lists, { settings });
const sync = { listId: '42' };
type Body = { audience: { key: string; name?: string }; double: boolean; members: Array<Record<string, string>> };
const bodyOf = (r: CapturedRequest) => r.body as Body;

/** A person with only the identities given. */
const person = (profileId: string, identities: Record<string, string>, audience: Partial<NonNullable<CanonicalEvent['audience']>> = {}) => ({
  ...buildAudience({ messageId: `m-${profileId}`, profileId, audience: { sync, ...audience } }),
  identities,
});

test('sends each member with only the identifiers the destination accepts, normalised, in its order of preference', async () => {
  const { requests, results } = await harness().run(
    person('1', { user_id: 'u-1', ios_idfa: '6D92078A-8246-4BA4-AE5B-76104861E7DC', phone: '+1 (650) 555-1212', email: ' Jane.Doe@Example.COM ' }),
  );
  expect(results).toEqual([{ status: 'ok' }]);
  expect(requests).toHaveLength(1);
  expect(requests[0]).toMatchObject({ method: 'POST', url: 'https://api.acme.example/v1/lists/42/members' });
  const [member] = bodyOf(requests[0]!).members;
  expect(member).toEqual({ id: '1', email: 'jane.doe@example.com', phone: '+16505551212', ios_idfa: '6d92078a-8246-4ba4-ae5b-76104861e7dc' });
  expect(Object.keys(member!)).toEqual(['id', 'email', 'phone', 'ios_idfa']);
  expect(bodyOf(requests[0]!).audience).toEqual({ key: 'vip_customers', name: 'VIP customers' });
});

test('answers a person without an accepted identifier UNMATCHED without calling the destination', async () => {
  const { requests, results } = await harness().run([person('1', { user_id: 'u-1', anonymous_id: 'a-1' }), person('2', { email: 'b@example.com' })]);
  expect(results).toEqual([{ status: 'ok', code: 'UNMATCHED' }, { status: 'ok' }]);
  expect(requests).toHaveLength(1);
  expect(bodyOf(requests[0]!).members).toEqual([{ id: '2', email: 'b@example.com' }]);

  const none = await harness().run([person('3', { user_id: 'u-3' }), person('4', { email: '   ' })]);
  expect(none.results).toEqual([
    { status: 'ok', code: 'UNMATCHED' },
    { status: 'ok', code: 'UNMATCHED' },
  ]);
  expect(none.requests).toHaveLength(0);
});

test('calls the destination once per audience, action and sync settings, at most maxMembersPerCall members each', async () => {
  const events = [
    ...Array.from({ length: 7 }, (_, i) => person(`a${i}`, { email: `a${i}@example.com` })),
    person('r1', { email: 'r1@example.com' }, { action: 'remove' }),
    person('o1', { email: 'o1@example.com' }, { sync: { listId: '43' } }),
    person('k1', { email: 'k1@example.com' }, { key: 'churn_risk', name: 'Churn risk' }),
    // The same settings in another key order, with the default spelled out, are the same sync.
    person('a7', { email: 'a7@example.com' }, { sync: { double: false, listId: '42' } }),
  ];
  const { requests, results } = await harness().run(events);
  expect(results.every((r) => r.status === 'ok' && r.code === undefined)).toBe(true);
  const calls = requests.map((r) => [r.method, r.url, bodyOf(r).audience.key, bodyOf(r).members.map((m) => m.id)]);
  expect(calls).toEqual([
    ['POST', 'https://api.acme.example/v1/lists/42/members', 'vip_customers', ['a0', 'a1', 'a2']],
    ['POST', 'https://api.acme.example/v1/lists/42/members', 'vip_customers', ['a3', 'a4', 'a5']],
    ['POST', 'https://api.acme.example/v1/lists/42/members', 'vip_customers', ['a6', 'a7']],
    ['DELETE', 'https://api.acme.example/v1/lists/42/members', 'vip_customers', ['r1']],
    ['POST', 'https://api.acme.example/v1/lists/43/members', 'vip_customers', ['o1']],
    ['POST', 'https://api.acme.example/v1/lists/42/members', 'churn_risk', ['k1']],
  ]);
  expect(bodyOf(requests[0]!).double).toBe(false);
});

test("sends only a person's last change of a task: an earlier change answers SUPERSEDED", async () => {
  const { requests, results } = await harness().run([
    person('1', { email: 'a@example.com' }, { action: 'remove' }),
    person('1', { email: 'a@example.com' }, { action: 'add' }),
    person('2', { email: 'b@example.com' }, { action: 'add' }),
    person('2', { email: 'b@example.com' }, { action: 'remove' }),
  ]);
  expect(results.map((r) => r.code)).toEqual(['SUPERSEDED', undefined, 'SUPERSEDED', undefined]);
  expect(requests.map((r) => [r.method, bodyOf(r).members.map((m) => m.id)])).toEqual([
    ['POST', ['1']],
    ['DELETE', ['2']],
  ]);
});

test('reports per-member results, and classifies a failed call for every member in it', async () => {
  const partial = harness().intercept('api.acme.example', () => ({ status: 200, body: { errors: [{ index: 1, status: 400, message: 'bad member' }] } }));
  const first = await partial.run([person('1', { email: 'a@example.com' }), person('2', { email: 'b@example.com' })]);
  expect(first.results.map((r) => r.status)).toEqual(['ok', 'permanent']);

  const limited = harness().intercept('api.acme.example', () => ({ status: 429, headers: { 'retry-after': '12' }, body: {} }));
  const second = await limited.run([person('1', { email: 'a@example.com' }), person('2', { email: 'b@example.com' })]);
  expect(second.results).toEqual([
    expect.objectContaining({ status: 'rate_limited', retryAfterMs: 12_000 }),
    expect.objectContaining({ status: 'rate_limited', retryAfterMs: 12_000 }),
  ]);
  expect(second.results[0]!.message).not.toContain(settings.apiKey);
});

test('refuses sync settings that do not fit the schema, naming the path, without calling the destination', async () => {
  const { requests, results } = await harness().run([
    person('1', { email: 'a@example.com' }, { sync: { listId: 'abc' } }),
    person('2', { email: 'b@example.com' }, { sync: {} }),
  ]);
  expect(requests).toHaveLength(0);
  expect(results).toEqual([
    { status: 'permanent', code: 'SYNC_SETTINGS_INVALID', message: 'audience.sync.listId: must match pattern "^[0-9]+$"' },
    { status: 'permanent', code: 'SYNC_SETTINGS_INVALID', message: 'audience.sync.listId: is required' },
  ]);
  expect(checkSyncSettings(lists, { listId: 'x' }, 'syncs[0].settings')).toEqual(['syncs[0].settings.listId: must match pattern "^[0-9]+$"']);
  const filled: Record<string, unknown> = { listId: '7' };
  expect(checkSyncSettings(lists, filled)).toEqual([]);
  expect(filled).toEqual({ listId: '7', double: false });
  expect(checkSyncSettings(acme, {})).toEqual(['sync: connector "acme" does not sync audiences']);
});

test('refuses an audience event without a valid audience change', async () => {
  const broken = {
    ...person('1', { email: 'a@example.com' }),
    audience: { key: 'vip', action: 'join', at: '2026-01-15T10:00:00Z' },
  } as unknown as CanonicalEvent;
  const { requests, results } = await harness().run(broken);
  expect(requests).toHaveLength(0);
  expect(results).toEqual([{ status: 'permanent', code: 'AUDIENCE_INVALID', message: 'audience.action: must be "add" or "remove"' }]);
});

test('audience events never reach actions, and connectors without an audience sync answer NOT_SUBSCRIBED', async () => {
  const { requests, results } = await harness().run([person('1', { email: 'a@example.com' }), buildTrack()]);
  expect(results).toEqual([{ status: 'ok' }, { status: 'ok' }]);
  expect(requests.map((r) => r.url).sort()).toEqual(['https://api.acme.example/v1/events', 'https://api.acme.example/v1/lists/42/members']);

  const other = await createTestHarness(acme, { settings }).run(person('1', { email: 'a@example.com' }));
  expect(other.results).toEqual([{ status: 'ok', code: 'NOT_SUBSCRIBED' }]);
  expect(other.requests).toHaveLength(0);
});

test('runs under the send guard: a person revoked since the check is handed back, not sent', async () => {
  const revoked = new Set(['m-2']);
  const guard: SendGuard = {
    isRevoked: (event) => revoked.has(event.messageId),
    async during(events, call) {
      return events.some((e) => revoked.has(e.messageId)) ? REVOKED : call();
    },
  };
  const guarded = createTestHarness(lists, { settings, guard });
  const { requests, results } = await guarded.run([person('1', { email: 'a@example.com' }), person('2', { email: 'b@example.com' })]);
  expect(results).toEqual([{ status: 'ok' }, expect.objectContaining({ status: 'retryable', code: 'PRIVACY_RECHECK' })]);
  expect(requests.flatMap((r) => bodyOf(r).members.map((m) => m.id))).toEqual(['1']);

  // Revoked while the call was about to run: the whole call is handed back and nothing leaves.
  const during: SendGuard = { isRevoked: () => false, during: async () => REVOKED };
  const handedBack = await createTestHarness(lists, { settings, guard: during }).run([person('3', { email: 'c@example.com' })]);
  expect(handedBack.results).toEqual([expect.objectContaining({ code: 'PRIVACY_RECHECK' })]);
  expect(handedBack.requests).toHaveLength(0);
});

test('the manifest check and the generated docs cover the audience sync', () => {
  expect(checkManifest(lists)).toEqual([]);
  const broken = { ...lists, audience: { identifiers: [], maxMembersPerCall: 0, sync: 'no' } };
  expect(checkManifest(broken)).toEqual([
    'audience.identifiers: must list the identifier types the destination accepts (e.g. ["email", "phone"]), be "all", or be a function',
    'audience.maxMembersPerCall: must be a positive integer (the vendor documented batch limit)',
    'audience.sync: must be a function',
  ]);
  const markdown = renderConnectorDocs(lists);
  expect(markdown).toContain('## Audience syncs');
  expect(markdown).toContain('- Identifiers (in order of preference): `email`, `phone`, `ios_idfa`.');
  expect(markdown).toContain('- Members per call: up to 3.');
  expect(markdown).toContain('| `listId` | string | yes | no |  | The Acme list members are kept in. |');
  expect(markdown).toContain('| `double` | boolean | no | no | `false` | Ask members to confirm. |');
});
