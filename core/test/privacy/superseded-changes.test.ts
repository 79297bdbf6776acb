import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PrivacyChange } from '../../src/privacy/privacy-change.js';
import { PrivacyServices } from '../../src/privacy/privacy-services.js';
import { SupersededChanges } from '../../src/privacy/superseded-changes.js';
import { RevocationBoard } from '../../src/revocation/revocation-board.js';

const KEYS = ['user_id:a', 'user_id:b', 'email:a@example.com', 'anonymous_id:x', 'profile:p1'];
const PURPOSES = ['marketing', 'analytics'];

/** A small deterministic generator, so a failing seed can be run again. */
function random(seed: number) {
  let state = seed;
  const next = () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
  const int = (n: number) => Math.floor(next() * n);
  const some = <T>(items: readonly T[]) => items.filter(() => next() < 0.4).concat(items[int(items.length)]!);
  return { next, int, some };
}

/** Consent and attributes of many people changing, sometimes erased, as routers would share them. */
function changes(seed: number, count: number): PrivacyChange[] {
  const r = random(seed);
  // Distinct times per decision: two different decisions for one purpose at the same millisecond are not modelled.
  let clock = 1_000;
  const used = new Set<number>();
  const time = () => {
    let at: number;
    do at = (clock += r.int(3)) - r.int(30);
    while (used.has(at));
    used.add(at);
    return at;
  };
  return Array.from({ length: count }, (): PrivacyChange => {
    const roll = r.next();
    if (roll < 0.45) {
      const purposes = Object.fromEntries(r.some(PURPOSES).map((p) => [p, { consented: r.next() < 0.5, timestamp: time() }]));
      return { kind: 'consent', keys: [...new Set(r.some(KEYS))], consent: { purposes } };
    }
    if (roll < 0.75) {
      const names = r.some(['plan', 'seats', 'city']);
      return {
        kind: 'traits',
        entries: [...new Set(r.some(KEYS))].map((key) => ({
          key,
          traits: Object.fromEntries(names.map((n) => [n, r.int(4)])),
          times: Object.fromEntries(names.map((n) => [n, time()])),
        })),
      };
    }
    if (roll < 0.9) return { kind: 'rectified', keys: [...new Set(r.some(KEYS))], changes: { plan: r.next() < 0.3 ? null : `fixed-${r.int(3)}` }, at: time() };
    return { kind: 'erased', keys: [...new Set(r.some(KEYS))] };
  });
}

/** Applies changes through a router's own privacy stores, as it applies another router's, and reads what they hold. */
async function applied(list: readonly PrivacyChange[]) {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-superseded-'));
  const privacy = PrivacyServices.open({ storageDir: dir, revocations: RevocationBoard.create(), connections: () => [] });
  try {
    for (const change of list) await privacy.gate.applyShared(change);
    return Object.fromEntries(
      KEYS.map((key) => {
        const profile = privacy.profiles.get(key);
        return [key, profile ? { consent: profile.consent, traits: profile.traits } : null];
      }),
    );
  } finally {
    privacy.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function compacted(list: readonly PrivacyChange[], horizon = list.length): PrivacyChange[] {
  const superseded = new SupersededChanges();
  const dropped = new Set<number>();
  for (let id = list.length; id >= 1; id -= 1) if (superseded.consider(id, list[id - 1]!, id <= horizon)) dropped.add(id);
  return list.filter((_, index) => !dropped.has(index + 1));
}

describe('superseded privacy changes', () => {
  it.each(Array.from({ length: 20 }, (_, seed) => seed + 1))('leaves the same consent and attributes when dropped (seed %i)', async (seed) => {
    const list = changes(seed, 120);
    const kept = compacted(list);
    expect(kept.length).toBeLessThan(list.length);
    expect(await applied(kept)).toEqual(await applied(list));
  });

  it('drops none past the horizon, and the rest still leave the same state', async () => {
    const list = changes(99, 120);
    const kept = compacted(list, 60);
    expect(kept.slice(-60)).toEqual(list.slice(-60));
    expect(await applied(kept)).toEqual(await applied(list));
  });

  it('keeps what a later change does not wholly replace', () => {
    const consent = (keys: string[], marketing: number, analytics?: number): PrivacyChange => ({
      kind: 'consent',
      keys,
      consent: {
        purposes: {
          marketing: { consented: true, timestamp: marketing },
          ...(analytics !== undefined ? { analytics: { consented: false, timestamp: analytics } } : {}),
        },
      },
    });
    // Fewer keys later: the earlier change also wrote user_id:b.
    expect(compacted([consent(['user_id:a', 'user_id:b'], 1), consent(['user_id:a'], 2)])).toHaveLength(2);
    // A purpose the later change does not decide.
    expect(compacted([consent(['user_id:a'], 1, 1), consent(['user_id:a'], 2)])).toHaveLength(2);
    // An older decision later in the feed does not replace a newer one.
    expect(compacted([consent(['user_id:a'], 5), consent(['user_id:a'], 2)])).toHaveLength(2);
    expect(compacted([consent(['user_id:a'], 1), consent(['user_id:a', 'user_id:b'], 2)])).toHaveLength(1);
    expect(compacted([consent(['user_id:a'], 1), { kind: 'erased', keys: ['user_id:a'] }])).toHaveLength(1);
    const suppression = { id: 's1', identity_type: 'user_id', identity_value: 'a', created_at: '2026-01-01T00:00:00.000Z' };
    expect(
      compacted([
        { kind: 'suppressed', suppression, keys: ['user_id:a'] },
        { kind: 'erased', keys: ['user_id:a'] },
      ]),
    ).toHaveLength(2);
  });
});
