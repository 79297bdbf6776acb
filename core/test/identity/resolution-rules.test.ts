import { identityKey } from '../../src/vocabulary/identity-types.js';
import { resolveIdentityRules } from '../../src/identity/identity-rules.js';
import type { LinkedIdentifier, StoredProfile } from '../../src/identity/identity-store.js';
import { planResolution, type ResolutionRequest } from '../../src/identity/resolution-plan.js';
import { WorkingSet } from '../../src/identity/working-set.js';

const NOW = Date.UTC(2026, 11, 2);
const DAY = 24 * 3600 * 1000;

const id = (type: string, value: string, linkedAt = NOW) => ({ type, value, key: identityKey(type, value), linkedAt });
const request = (...identifiers: Array<{ type: string; value: string; key: string }>): ResolutionRequest => ({
  identifiers: identifiers.map(({ type, value, key }) => ({ type, value, key })),
  cause: 'test',
  create: true,
});

/** A working set over stored profiles, as the graph loads it for a batch. */
function graphOf(...profiles: StoredProfile[]): WorkingSet {
  const byKey = new Map<string, string[]>();
  for (const p of profiles) for (const i of p.identifiers) byKey.set(i.key, [...(byKey.get(i.key) ?? []), p.id]);
  return new WorkingSet(byKey, new Map(profiles.map((p) => [p.id, p])), new Set());
}
const profile = (profileId: string, ...identifiers: LinkedIdentifier[]): StoredProfile => ({ id: profileId, createdAt: NOW - 30 * DAY, identifiers });
let counter = 0;
const newId = () => `new-${++counter}`;

describe('resolution rules', () => {
  it('counts a windowed limit over the window only: anonymous ids linked before it do not count', () => {
    const rules = resolveIdentityRules({ limits: { anonymous_id: { max: 2, windowDays: 7 } } });
    const ws = graphOf(
      profile(
        '1',
        id('user_id', 'u'),
        id('anonymous_id', 'old-1', NOW - 20 * DAY),
        id('anonymous_id', 'old-2', NOW - 10 * DAY),
        id('anonymous_id', 'a-1', NOW - DAY),
      ),
    );
    const second = planResolution(ws, request(id('user_id', 'u'), id('anonymous_id', 'a-2')), rules, NOW, newId);
    expect(second).toMatchObject({ profileId: '1', leftOut: [] });
    const third = planResolution(ws, request(id('user_id', 'u'), id('anonymous_id', 'a-3')), rules, NOW, newId);
    expect(third.profileId).toBe('1');
    expect(third.leftOut).toEqual([{ identifier: expect.objectContaining({ value: 'a-3' }), rule: 'limit:anonymous_id' }]);
  });

  it('stops a profile at maxIdentifiersPerProfile', () => {
    const rules = resolveIdentityRules({ maxIdentifiersPerProfile: 3, limits: {} });
    const ws = graphOf(profile('1', id('user_id', 'u'), id('email', 'u@example.com')));
    expect(planResolution(ws, request(id('user_id', 'u'), id('device_id', 'd-1')), rules, NOW, newId).leftOut).toEqual([]);
    expect(planResolution(ws, request(id('user_id', 'u'), id('device_id', 'd-2')), rules, NOW, newId).leftOut).toEqual([
      { identifier: expect.objectContaining({ value: 'd-2' }), rule: 'max_identifiers' },
    ]);
  });

  it('lets the higher-priority identifier win: a new user id with another user’s email starts a profile and leaves the email out', () => {
    const rules = resolveIdentityRules();
    const ws = graphOf(profile('ada', id('user_id', 'u-ada'), id('email', 'shared@example.com')));
    const resolution = planResolution(ws, request(id('email', 'shared@example.com'), id('user_id', 'u-eve')), rules, NOW, newId);
    expect(resolution).toMatchObject({ created: true, leftOut: [{ identifier: expect.objectContaining({ type: 'email' }), rule: 'unique:user_id' }] });
    expect(resolution.profileId).not.toBe('ada');
    // With email ranked first, the same request resolves to Ada, and the user id is what is left out.
    const emailFirst = resolveIdentityRules({ priority: ['email', 'user_id'] });
    const other = graphOf(profile('ada', id('user_id', 'u-ada'), id('email', 'shared@example.com')));
    expect(planResolution(other, request(id('user_id', 'u-eve'), id('email', 'shared@example.com')), emailFirst, NOW, newId)).toMatchObject({
      profileId: 'ada',
      leftOut: [{ identifier: expect.objectContaining({ type: 'user_id' }), rule: 'unique:user_id' }],
    });
  });

  it('an anonymous profile matched by a device id becomes the user who logs in on it, or is merged into them; a known one never', () => {
    const rules = resolveIdentityRules();
    const ws = graphOf(
      profile('anon', id('device_id', 'd')),
      profile('bob', id('user_id', 'u-bob'), id('device_id', 'd2')),
      profile('anon-3', id('device_id', 'd3')),
    );
    // A user the graph has not seen: the anonymous profile takes the user id.
    expect(planResolution(ws, request(id('user_id', 'u-ada'), id('device_id', 'd')), rules, NOW, newId)).toMatchObject({
      profileId: 'anon',
      merged: [],
      created: false,
    });
    // A known user: the anonymous profile is merged into theirs.
    expect(planResolution(ws, request(id('user_id', 'u-ada'), id('device_id', 'd3')), rules, NOW, newId)).toMatchObject({
      profileId: 'anon',
      merged: ['anon-3'],
    });
    const shared = planResolution(ws, request(id('user_id', 'u-eve'), id('device_id', 'd2')), rules, NOW, newId);
    expect(shared.merged).toEqual([]);
    expect(shared.profileId).not.toBe('bob');
  });

  it('meets phones written differently and blocks placeholder values', () => {
    expect(identityKey('phone', '+1 (650) 555-1234')).toBe(identityKey('phone', '+16505551234'));
    expect(identityKey('phone', '0044 20 7946 0958')).toBe(identityKey('phone', '+44 (0)20 7946 0958'));
    const rules = resolveIdentityRules();
    for (const junk of ['', ' null ', 'Undefined', '0', '-1', '00000000-0000-0000-0000-000000000000', 'anonymous'])
      expect(rules.isBlockedValue(junk)).toBe(true);
    expect(rules.isBlockedValue('u-0')).toBe(false);
    expect(() => resolveIdentityRules({ blockedValues: ['/[unclosed/'] })).toThrow(/identity\.blockedValues\[0\]/);
  });

  it('search (create: false) answers without changing the working set', () => {
    const rules = resolveIdentityRules();
    const ws = graphOf(profile('1', id('user_id', 'u')));
    const resolution = planResolution(ws, { ...request(id('user_id', 'u'), id('email', 'new@example.com')), create: false }, rules, NOW, newId);
    expect(resolution.profileId).toBe('1');
    expect(ws.change.link).toEqual([]);
    expect(planResolution(ws, { ...request(id('email', 'nobody@example.com')), create: false }, rules, NOW, newId).profileId).toBeUndefined();
    expect(ws.change.create).toEqual([]);
  });
});
