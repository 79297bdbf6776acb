import { createHash, randomBytes } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { CanonicalEvent } from '@switchyard/sdk-kit';
import { canonicalIdentityType, identityKey, normalizedIdentityValue, profileKey } from '../vocabulary/identity-types.js';
import type { IdentityRules } from './identity-rules.js';
import { emptyChange, isEmptyChange, type GraphLogEntry, type Identifier, type IdentityStore, type StoredProfile } from './identity-store.js';
import { planResolution, refusalToJoin, type Resolution, type ResolutionRequest } from './resolution-plan.js';
import { WorkingSet } from './working-set.js';

/** What the rest of the router hears of the graph's changes (privacy merges consent and suppressions). */
export interface IdentityListener {
  /** `from` was merged into `into`, which now holds `identifiers`. The graph waits for the returned promise before it answers. */
  merged(from: string, into: string, identifiers: Identifier[]): Promise<void> | void;
  /** `restored` was split back out of `from`. */
  split(restored: string, from: string): Promise<void> | void;
  /** `added` were linked to `profileId` (a new profile's first identifiers too), which now holds `identifiers`. */
  linked(profileId: string, added: Identifier[], identifiers: Identifier[]): Promise<void> | void;
}

/** A person as privacy and data-subject requests see them. */
export interface Person {
  profileId: string;
  /** Ids merged into the profile; queued events may still carry them. */
  aliases: string[];
  identifiers: Identifier[];
}

export interface IdentityGraphOptions {
  /** Identifier keys whose profiles are kept in memory, so repeated traffic needs no store read. */
  cacheSize?: number;
}

/** One identifier as a caller writes it: a type name or alias from the vocabulary, and a raw value. */
export interface RawIdentifier {
  type: string;
  value: string;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** A 64-bit random profile id (mParticle's mpid format: a signed integer as a decimal string), never 0. */
export function newProfileId(): string {
  for (;;) {
    const id = randomBytes(8).readBigInt64BE();
    if (id !== 0n) return id.toString();
  }
}

/** Tombstones keep a hash of the erased key, not the identifier itself. */
export function tombstoneOf(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/**
 * The deterministic identity graph: resolves events and IDSync requests to profiles by the rules of the
 * `identity` section, over a store. Resolutions run one batch at a time, so each sees the one before it.
 */
export class IdentityGraph {
  /** Key → profiles it is linked to, for keys seen recently; the hot path of repeated traffic. */
  private readonly cache: LRUCache<string, string[]>;
  private readonly knownProfiles: LRUCache<string, boolean>;
  /** An event's identities (as sent) → the profile they resolved to; dropped whenever a change could alter one. */
  private readonly answers: LRUCache<string, string>;
  private answersGeneration = 0;
  private readonly cacheSize: number;
  private tail: Promise<unknown> = Promise.resolve();
  private busy = 0;
  private readonly listeners: IdentityListener[] = [];

  constructor(
    readonly store: IdentityStore,
    private rules: IdentityRules,
    options: IdentityGraphOptions = {},
  ) {
    this.cacheSize = options.cacheSize ?? 200_000;
    this.cache = new LRUCache({ max: this.cacheSize });
    this.knownProfiles = new LRUCache({ max: this.cacheSize });
    this.answers = new LRUCache({ max: this.cacheSize });
  }

  get enabled(): boolean {
    return this.rules.enabled;
  }

  updateRules(rules: IdentityRules): void {
    this.rules = rules;
    this.clearCache();
  }

  listen(listener: IdentityListener): void {
    this.listeners.push(listener);
  }

  /** An identifier in the graph's form, or undefined for a blocked value. */
  identifier(raw: RawIdentifier): Identifier | undefined {
    // NUL and lone surrogates cannot be stored as written by every store; such a value identifies no one.
    if (typeof raw.value !== 'string' || raw.value.includes('\u0000') || LONE_SURROGATE.test(raw.value)) return undefined;
    const type = canonicalIdentityType(raw.type) ?? raw.type.trim().toLowerCase();
    const value = normalizedIdentityValue(type, raw.value);
    if (this.rules.isBlockedValue(value) || this.rules.isBlockedValue(raw.value)) return undefined;
    const key = identityKey(type, value);
    return key.endsWith(':') ? undefined : { type, value, key };
  }

  /** Resolves each event to a profile and sets its `profileId`, in order. */
  async resolveEvents(events: CanonicalEvent[]): Promise<void> {
    if (!this.rules.enabled || events.length === 0) return;
    // Repeat traffic: the same identities resolve as they did while the graph has not changed around them.
    const signatures = events.map((event) => (event.previousId === undefined ? signatureOf(event.identities) : undefined));
    if (this.busy === 0 && !this.store.exclusive) {
      const answered = signatures.map((signature) => (signature === undefined ? undefined : this.answers.get(signature)));
      if (answered.every((id) => id !== undefined)) {
        events.forEach((event, i) => (event.profileId = answered[i]!));
        return;
      }
    }
    const generation = this.answersGeneration;
    const requests = events.map((event) => this.requestOf(event));
    const fast = this.busy === 0 && !this.store.exclusive ? requests.map((request) => this.fromCache(request)) : [];
    // An answer that left an identifier out is not kept: that identifier may join someone later and change it.
    const resolved =
      fast.length && fast.every((id) => id !== undefined)
        ? fast.map((profileId) => ({ profileId, leftOut: [] }))
        : await this.serialized(() => this.resolveBatch(requests, true));
    events.forEach((event, i) => {
      const { profileId: id, leftOut } = resolved[i]!;
      if (id !== undefined) event.profileId = id;
      else delete event.profileId;
      const signature = signatures[i];
      // Kept only if no change since this resolution began could have altered it.
      if (id !== undefined && signature !== undefined && leftOut.length === 0 && generation === this.answersGeneration) {
        this.answers.set(signature, id);
      }
    });
  }

  private requestOf(event: CanonicalEvent): ResolutionRequest {
    const identifiers: Identifier[] = [];
    let mpid: string | undefined;
    for (const [type, value] of Object.entries(event.identities)) {
      if (type === 'mpid') mpid = value;
      else {
        const identifier = this.identifier({ type, value });
        if (identifier && !identifiers.some((i) => i.key === identifier.key)) identifiers.push(identifier);
      }
    }
    const previous: ResolutionRequest['previous'] = [];
    if (event.previousId !== undefined && !this.rules.isBlockedValue(event.previousId)) {
      // Segment's alias names the previous anonymous or user id; an mParticle batch's previous_mpid a profile.
      if (event.type === 'alias') previous.push({ key: identityKey('anonymous_id', event.previousId) }, { key: identityKey('user_id', event.previousId) });
      else if (/^-?\d+$/.test(event.previousId)) previous.push({ profileId: event.previousId, anonymousOnly: true });
    }
    return {
      identifiers,
      ...(mpid !== undefined && !this.rules.isBlockedValue(mpid) ? { mpid } : {}),
      ...(previous.length ? { previous } : {}),
      cause: `event:${event.messageId}`,
      create: true,
    };
  }

  /** The profile of a request answered from memory when nothing about it can change, else undefined. */
  private fromCache(request: ResolutionRequest): string | undefined {
    if (request.previous) return undefined;
    const keys = request.identifiers.map((i) => i.key);
    if (request.mpid !== undefined) keys.push(`mpid:${request.mpid}`);
    return this.settledProfile(
      keys,
      (key) => this.cache.get(key),
      (id) => this.knownProfiles.get(id),
    );
  }

  /**
   * The one profile every key is linked to, when that alone decides the resolution: nothing new to link, nothing to
   * merge, and the shared-device guard satisfied (a key of a type no one shares, or a profile known to be anonymous).
   */
  private settledProfile(keys: string[], linksOf: (key: string) => string[] | undefined, isKnown: (id: string) => boolean | undefined): string | undefined {
    if (keys.length === 0) return undefined;
    let profile: string | undefined;
    let throughUnshared = false;
    for (const key of keys) {
      const ids = linksOf(key);
      if (!ids || ids.length !== 1 || (profile !== undefined && ids[0] !== profile)) return undefined;
      profile = ids[0];
      if (!this.rules.sharedTypes.has(key.slice(0, key.indexOf(':')))) throughUnshared = true;
    }
    if (!throughUnshared && isKnown(profile!) !== false) return undefined;
    return profile;
  }

  /** Resolves requests in order, as one batch: one read of the store, one transaction for every change. */
  resolve(requests: ResolutionRequest[]): Promise<Resolution[]> {
    return this.serialized(() => this.resolveBatch(requests, false));
  }

  /**
   * With `shortcut`, requests whose keys all lead to one profile already are answered from the key look-up alone
   * (events need only the profile id); the rest, and any that a planned request could change, are planned in full.
   */
  private async resolveBatch(requests: ResolutionRequest[], shortcut: boolean): Promise<Resolution[]> {
    const now = Date.now();
    const byKey = await this.store.profilesByKey([...keysOf(requests)]);
    const settled = requests.map((request) =>
      shortcut && !request.previous && request.mpid === undefined
        ? this.settledProfile(
            request.identifiers.map((i) => i.key),
            (key) => byKey.get(key),
            () => undefined,
          )
        : undefined,
    );
    const planned = requests.filter((_, i) => settled[i] === undefined);
    if (planned.length) {
      // A settled request stays settled only if nothing planned in this batch can touch its keys or its profile.
      const plannedKeys = keysOf(planned);
      const plannedProfiles = new Set([...plannedKeys].flatMap((key) => byKey.get(key) ?? []));
      settled.forEach((profile, i) => {
        if (profile !== undefined && (plannedProfiles.has(profile) || requests[i]!.identifiers.some((id) => plannedKeys.has(id.key)))) {
          settled[i] = undefined;
        }
      });
    }
    const toPlan = requests.filter((_, i) => settled[i] === undefined);
    const ws = toPlan.length ? await this.load(toPlan, byKey) : undefined;
    const anyErased = ws ? await this.store.hasTombstones() : false;
    const resolutions: Resolution[] = [];
    for (const [i, request] of requests.entries()) {
      const profileId = settled[i];
      if (profileId !== undefined) {
        for (const identifier of request.identifiers) this.cacheKey(identifier.key, [profileId]);
        resolutions.push({ profileId, created: false, matched: request.identifiers, leftOut: [], merged: [], known: false });
        continue;
      }
      const erased = anyErased ? await this.erasedKeys(request) : new Set<string>();
      const { mpid, ...rest } = request;
      const kept = {
        ...rest,
        identifiers: request.identifiers.filter((id) => !erased.has(id.key)),
        ...(mpid !== undefined && !erased.has(`mpid:${mpid}`) ? { mpid } : {}),
      };
      const resolution = planResolution(ws!, kept, this.rules, now, newProfileId);
      for (const identifier of request.identifiers) if (erased.has(identifier.key)) resolution.leftOut.push({ identifier, rule: 'erased' });
      resolutions.push(resolution);
    }
    if (ws) {
      await this.commit(ws);
      this.remember(ws, toPlan);
    }
    return resolutions;
  }

  /** The request's keys (its mpid's too) that belong to erased people. */
  private async erasedKeys(request: ResolutionRequest): Promise<Set<string>> {
    const keys = request.identifiers.map((i) => i.key);
    if (request.mpid !== undefined) keys.push(`mpid:${request.mpid}`);
    const hashes = new Map(keys.map((key) => [tombstoneOf(key), key]));
    if (hashes.size === 0) return new Set();
    const found = await this.store.tombstoned([...hashes.keys()]);
    return new Set([...found].map((hash) => hashes.get(hash)!));
  }

  private async load(requests: ResolutionRequest[], known?: Map<string, string[]>, extraIds: string[] = []): Promise<WorkingSet> {
    const keys = keysOf(requests);
    const ids = new Set<string>(extraIds);
    for (const request of requests) {
      if (request.mpid !== undefined) ids.add(request.mpid);
      for (const previous of request.previous ?? []) if (previous.profileId) ids.add(previous.profileId);
    }
    const byKey = known
      ? new Map([...keys].flatMap((key) => (known.has(key) ? [[key, known.get(key)!] as const] : [])))
      : await this.store.profilesByKey([...keys]);
    for (const linked of byKey.values()) for (const id of linked) ids.add(id);
    const profiles = await this.store.profiles([...ids]);
    const separations = await this.store.separations([...new Set([...profiles.values()].map((p) => p.id))]);
    return new WorkingSet(byKey, profiles, separations);
  }

  private async commit(ws: WorkingSet): Promise<void> {
    if (isEmptyChange(ws.change)) return;
    await this.store.apply(ws.change);
    // A new exclusive identifier changes no earlier answer (none included it); anything else may.
    const { merge, unlink, restore, link } = ws.change;
    if (merge.length || unlink.length || restore.length || link.some((l) => this.rules.sharedTypes.has(l.identifier.type))) this.forgetAnswers();
    for (const key of ws.touchedKeys) this.cache.delete(key);
    const added = new Map<string, Identifier[]>();
    for (const { profileId, identifier } of ws.change.link) added.set(profileId, [...(added.get(profileId) ?? []), identifier]);
    for (const [profileId, identifiers] of added) {
      const profile = ws.profileOf(profileId);
      if (!profile || profile.id !== profileId) continue; // merged away in the same batch: its survivor is told below
      const holding = [...profile.identifiers.values()].map(({ type, value, key }) => ({ type, value, key }));
      for (const listener of this.listeners) await listener.linked(profileId, identifiers, holding);
    }
    for (const { from, into } of ws.change.merge) {
      this.knownProfiles.delete(from);
      this.knownProfiles.delete(into);
      this.cache.delete(`mpid:${from}`);
      const identifiers = [...(ws.profileOf(into)?.identifiers.values() ?? [])].map(({ type, value, key }) => ({ type, value, key }));
      for (const listener of this.listeners) await listener.merged(from, into, identifiers);
    }
  }

  /** Caches what the batch learnt about the keys it asked for (their link lists are complete). */
  private remember(ws: WorkingSet, requests: ResolutionRequest[]): void {
    for (const request of requests) {
      for (const identifier of request.identifiers) {
        const linked = ws.linksByKey.get(identifier.key);
        if (linked?.size) this.cacheKey(identifier.key, [...linked]);
      }
      if (request.mpid !== undefined) {
        const profile = ws.profileOf(request.mpid);
        if (profile) this.cacheKey(`mpid:${request.mpid}`, [profile.id]);
      }
    }
    for (const profile of ws.profiles.values()) {
      this.knownProfiles.set(
        profile.id,
        [...profile.identifiers.values()].some((i) => this.rules.loginTypes.has(i.type)),
      );
    }
  }

  private cacheKey(key: string, ids: string[]): void {
    this.cache.set(key, ids);
  }

  private forgetAnswers(): void {
    this.answers.clear();
    this.answersGeneration += 1;
  }

  private clearCache(): void {
    this.cache.clear();
    this.knownProfiles.clear();
    this.forgetAnswers();
  }

  private serialized<T>(work: () => Promise<T>): Promise<T> {
    this.busy += 1;
    const exclusive = this.store.exclusive?.bind(this.store);
    // Another router may have changed the graph since the last run: nothing remembered of it holds.
    const run = this.tail.then(
      exclusive
        ? () =>
            exclusive(() => {
              this.clearCache();
              return work();
            })
        : work,
    );
    this.tail = run.catch(() => undefined).finally(() => (this.busy -= 1));
    return run;
  }

  // ——— Look-ups and operator actions ———

  async profile(id: string): Promise<StoredProfile | undefined> {
    return (await this.store.profiles([id])).get(id);
  }

  /** The profiles an identifier is linked to (a shared device id can be on several). */
  async profilesOf(raw: RawIdentifier): Promise<StoredProfile[]> {
    const identifier = this.identifier(raw);
    if (!identifier) return [];
    if (identifier.type === 'mpid') return [...(await this.store.profiles([identifier.value])).values()];
    const ids = (await this.store.profilesByKey([identifier.key])).get(identifier.key) ?? [];
    return [...(await this.store.profiles(ids)).values()];
  }

  log(profileId: string, limit = 100): Promise<GraphLogEntry[]> {
    return this.store.log(profileId, limit);
  }

  /**
   * The people these identifiers name, for privacy and data-subject requests. A shared identifier (a device)
   * names a person only when exactly one profile holds it, so one person's request never reaches another's.
   */
  async personsOf(raws: RawIdentifier[]): Promise<Person[]> {
    await this.tail;
    const ids = new Set<string>();
    for (const raw of raws) {
      const identifier = this.identifier(raw);
      if (!identifier) continue;
      if (identifier.type === 'mpid' || identifier.type === 'profile_id') {
        ids.add(identifier.value);
        continue;
      }
      const linked = (await this.store.profilesByKey([identifier.key])).get(identifier.key) ?? [];
      if (linked.length === 1 || !this.rules.sharedTypes.has(identifier.type)) linked.forEach((id) => ids.add(id));
    }
    const profiles = [...new Map([...(await this.store.profiles([...ids])).values()].map((p) => [p.id, p])).values()];
    const aliases = await this.store.aliasesOf(profiles.map((p) => p.id));
    return profiles.map((p) => ({
      profileId: p.id,
      aliases: aliases.get(p.id) ?? [],
      identifiers: p.identifiers.map(({ type, value, key }) => ({ type, value, key })),
    }));
  }

  /** Splits a merge (a `merge` log entry) again: the absorbed profile comes back with the identifiers it brought. */
  async split(logEntryId: number, cause: string): Promise<{ restored: string; from: string } | { error: string }> {
    const result = await this.serialized(async (): Promise<{ restored: string; from: string } | { error: string }> => {
      const entry = await this.store.logEntry(logEntryId);
      if (!entry || entry.kind !== 'merge' || !entry.otherProfileId) return { error: `log entry ${logEntryId} is not a merge` };
      const restored = entry.otherProfileId;
      const from = (await this.store.profiles([entry.profileId])).get(entry.profileId);
      if (!from) return { error: `profile ${entry.profileId} no longer exists` };
      if (from.id === restored) return { error: `profile ${restored} was merged again since; split the later merge first` };
      const change = emptyChange();
      change.restore.push(restored);
      const moving = entry.identifiers.filter((i) => from.identifiers.some((held) => held.key === i.key));
      for (const identifier of moving) {
        const held = from.identifiers.find((h) => h.key === identifier.key)!;
        if (!this.rules.sharedTypes.has(identifier.type)) change.unlink.push({ profileId: from.id, key: identifier.key });
        change.link.push({ profileId: restored, identifier: held });
      }
      change.separate.push([profileKey(restored), from.id]);
      change.log.push({ at: Date.now(), kind: 'split', profileId: from.id, otherProfileId: restored, identifiers: moving, cause, rule: 'operator' });
      await this.store.apply(change);
      this.clearCache();
      return { restored, from: from.id };
    });
    if ('restored' in result) for (const listener of this.listeners) await listener.split(result.restored, result.from);
    return result;
  }

  /** Removes an identifier from a profile; it never joins that profile again on its own. */
  async removeIdentifier(profileId: string, raw: RawIdentifier, cause: string): Promise<boolean> {
    const identifier = this.identifier(raw);
    if (!identifier) return false;
    return this.serialized(async () => {
      const profile = (await this.store.profiles([profileId])).get(profileId);
      if (!profile?.identifiers.some((i) => i.key === identifier.key)) return false;
      const change = emptyChange();
      change.unlink.push({ profileId: profile.id, key: identifier.key });
      change.separate.push([identifier.key, profile.id]);
      change.log.push({ at: Date.now(), kind: 'unlink', profileId: profile.id, identifiers: [identifier], cause, rule: 'operator' });
      await this.store.apply(change);
      this.clearCache();
      return true;
    });
  }

  /**
   * Changes a profile's identifiers (IDSync modify): each change removes `oldValue` and/or links `newValue` of a
   * type. A new value already linked to another profile, or one the rules refuse, is answered with the reason.
   */
  async modify(
    profileId: string,
    changes: Array<{ type: string; oldValue?: string; newValue?: string }>,
    cause: string,
  ): Promise<{ profileId: string; applied: Identifier[] } | { error: string; status: 404 | 409 | 400 }> {
    return this.serialized(async () => {
      const profile = (await this.store.profiles([profileId])).get(profileId);
      if (!profile) return { error: `no profile ${profileId}`, status: 404 as const };
      const ws = await this.load([], undefined, [profile.id]);
      const working = ws.profileOf(profile.id)!;
      const now = Date.now();
      const applied: Identifier[] = [];
      for (const [index, change] of changes.entries()) {
        const old = change.oldValue !== undefined ? this.identifier({ type: change.type, value: change.oldValue }) : undefined;
        if (old && working.identifiers.has(old.key)) ws.unlink(working, old.key);
        if (change.newValue === undefined) continue;
        const next = this.identifier({ type: change.type, value: change.newValue });
        if (!next) return { error: `identity_changes[${index}].new_value is not a value that can identify anyone`, status: 400 as const };
        const holders = (await this.store.profilesByKey([next.key])).get(next.key) ?? [];
        if (holders.some((id) => id !== profile.id) && !this.rules.sharedTypes.has(next.type)) {
          return { error: `identity_changes[${index}]: ${next.type} is already linked to another profile`, status: 409 as const };
        }
        const refusal = refusalToJoin(ws, this.rules, now, working.id, working.identifiers, [{ ...next, linkedAt: now }]);
        if (refusal) return { error: `identity_changes[${index}]: refused by rule ${refusal}`, status: 409 as const };
        ws.link(working, { ...next, linkedAt: now });
        applied.push(next);
      }
      ws.log({ at: now, kind: 'modify', profileId: working.id, identifiers: applied, cause, rule: 'modify' });
      await this.store.apply(ws.change);
      this.clearCache();
      return { profileId: working.id, applied };
    });
  }

  /**
   * Erases people from the graph: profiles, links, log, and tombstones for every key so that replayed events
   * carrying them never link anything again.
   */
  async erase(persons: Person[]): Promise<void> {
    if (persons.length === 0) return;
    await this.serialized(async () => {
      // A replayed mParticle event names the profile by its mpid: that must not bring the profile back either.
      const keys = persons.flatMap((p) => [...p.identifiers.map((i) => i.key), ...[p.profileId, ...p.aliases].map((id) => `mpid:${id}`)]);
      const tombstones = keys.map(tombstoneOf);
      await this.store.erase(
        persons.map((p) => p.profileId),
        tombstones,
        Date.now(),
      );
      this.clearCache();
    });
  }

  close(): Promise<void> {
    return this.tail.then(() => this.store.close());
  }
}

/** Every identity key a batch of requests asks about (its alias look-ups too). */
function keysOf(requests: readonly ResolutionRequest[]): Set<string> {
  const keys = new Set<string>();
  for (const request of requests) {
    for (const identifier of request.identifiers) keys.add(identifier.key);
    for (const previous of request.previous ?? []) if (previous.key) keys.add(previous.key);
  }
  return keys;
}

/** The identities of an event as sent, as one string. */
function signatureOf(identities: Record<string, string>): string {
  let signature = '';
  for (const type in identities) signature += `${type}\u0001${identities[type]}\u0002`;
  return signature;
}
