import type Database from 'better-sqlite3';
import { LRUCache } from 'lru-cache';
import { mergeConsent, type UserConsent } from './consent-record.js';

/** Keys whose consent and traits are kept in memory, so the ingestion hot path rarely reads SQLite. */
const CACHE_SIZE = 100_000;
/** Cached "no consent stored" (the cache holds no null). */
const NO_CONSENT = Symbol('no consent stored');

/** Attributes of one key with the time each was set (epoch ms), as routers sharing state tell each other. */
export interface TraitEntry {
  key: string;
  traits: Record<string, unknown>;
  times: Record<string, number>;
}

export interface Profile {
  identityKey: string;
  consent: UserConsent;
  /**
   * The person's attributes: from their events (per attribute, the latest by event time wins) and from
   * rectification; `null` marks an attribute to remove downstream.
   */
  traits: Record<string, unknown>;
  /** When each trait was last set (epoch ms). */
  traitTimes: Record<string, number>;
  updatedAt: number;
}

/**
 * What Switchyard keeps about a user, per key: their latest consent and attributes. A person resolved by the
 * identity graph is kept under their profile key (`profile:<id>`); look-ups merge across the keys of one event,
 * so consent recorded under any of a person's identifiers or their profile applies to all of them.
 */
export class ProfileStore {
  private readonly statements;
  /** Consent per identity key (null: none stored), so the ingestion hot path rarely reads SQLite. */
  private readonly consentCache = new LRUCache<string, UserConsent | typeof NO_CONSENT>({ max: CACHE_SIZE });
  /** The last traits recorded per key, so an event repeating them costs no read. */
  private readonly traitCache = new LRUCache<string, string>({ max: CACHE_SIZE });
  /**
   * Consent rows recorded but not yet written. Ingestion records consent event by event; the rows of one
   * request are written in one transaction (one fsync) at the end of the synchronous run that recorded them.
   */
  private readonly pendingConsent = new Map<string, { json: string; at: number }>();
  /** Traits recorded but not yet written, written with the consent rows (one transaction per run). */
  private readonly pendingTraits = new Map<string, { traits: Record<string, unknown>; times: Record<string, number> }>();
  private flushScheduled = false;
  /** Attributes set here (not applied from another router) since the last write, for the routers sharing state. */
  private unsharedTraits = new Map<string, TraitEntry>();
  private traitsWritten?: (entries: TraitEntry[]) => void;

  constructor(private readonly db: Database.Database) {
    db.exec(`CREATE TABLE IF NOT EXISTS profiles (
      identity_key TEXT PRIMARY KEY,
      consent TEXT NOT NULL DEFAULT '{"purposes":{}}',
      traits TEXT NOT NULL DEFAULT '{}',
      updated_at INTEGER NOT NULL
    )`);
    const columns = db.prepare('PRAGMA table_info(profiles)').all() as Array<{ name: string }>;
    if (!columns.some((c) => c.name === 'trait_times')) db.exec(`ALTER TABLE profiles ADD COLUMN trait_times TEXT NOT NULL DEFAULT '{}'`);
    this.statements = {
      get: db.prepare('SELECT * FROM profiles WHERE identity_key = ?'),
      getConsent: db.prepare('SELECT consent FROM profiles WHERE identity_key = ?'),
      getConsents: db.prepare<[string], { identity_key: string; consent: string }>(
        'SELECT identity_key, consent FROM profiles WHERE identity_key IN (SELECT value FROM json_each(?))',
      ),
      upsertConsent: db.prepare(`INSERT INTO profiles (identity_key, consent, updated_at) VALUES (?, ?, ?)
        ON CONFLICT(identity_key) DO UPDATE SET consent = excluded.consent, updated_at = excluded.updated_at`),
      upsertTraits: db.prepare(`INSERT INTO profiles (identity_key, traits, trait_times, updated_at) VALUES (?, ?, ?, ?)
        ON CONFLICT(identity_key) DO UPDATE SET traits = excluded.traits, trait_times = excluded.trait_times, updated_at = excluded.updated_at`),
      delete: db.prepare('DELETE FROM profiles WHERE identity_key = ?'),
    };
  }

  get(identityKey: string): Profile | undefined {
    this.flush();
    return this.stored(identityKey);
  }

  private stored(identityKey: string): Profile | undefined {
    const row = this.statements.get.get(identityKey) as Record<string, unknown> | undefined;
    if (!row) return undefined;
    return {
      identityKey,
      consent: JSON.parse(String(row.consent)) as UserConsent,
      traits: JSON.parse(String(row.traits)) as Record<string, unknown>,
      traitTimes: JSON.parse(String(row.trait_times)) as Record<string, number>,
      updatedAt: Number(row.updated_at),
    };
  }

  /** The user's stored consent, merged across all their identity keys. */
  consentOf(identityKeys: string[]): UserConsent {
    return identityKeys.reduce<UserConsent>(
      (acc, key) => {
        const consent = this.storedConsent(key);
        return consent ? mergeConsent(acc, consent) : acc;
      },
      { purposes: {} },
    );
  }

  /** Reads the consent of every key not in memory yet with one statement (a request's events, before admission). */
  prefetchConsent(keys: Iterable<string>): void {
    const missing = [...new Set(keys)].filter((key) => !this.consentCache.has(key) && !this.pendingConsent.has(key));
    if (missing.length === 0) return;
    const found = new Map(this.statements.getConsents.all(JSON.stringify(missing)).map((row) => [row.identity_key, JSON.parse(row.consent) as UserConsent]));
    for (const key of missing) this.cacheConsent(key, found.get(key) ?? null);
  }

  private storedConsent(key: string): UserConsent | null {
    const cached = this.consentCache.get(key);
    if (cached !== undefined) return cached === NO_CONSENT ? null : cached;
    const pending = this.pendingConsent.get(key);
    if (pending) return JSON.parse(pending.json) as UserConsent;
    const row = this.statements.getConsent.get(key) as { consent: string } | undefined;
    const consent = row ? (JSON.parse(row.consent) as UserConsent) : null;
    this.cacheConsent(key, consent);
    return consent;
  }

  private cacheConsent(key: string, consent: UserConsent | null): void {
    this.consentCache.set(key, consent ?? NO_CONSENT);
  }

  /** Stores consent under every key (latest timestamp per purpose wins); returns the merged result. */
  recordConsent(identityKeys: string[], consent: UserConsent, now = Date.now()): UserConsent {
    const merged = mergeConsent(this.consentOf(identityKeys), consent);
    const json = JSON.stringify(merged);
    for (const key of identityKeys) {
      const stored = this.storedConsent(key);
      // An event repeating what is stored (same values, same timestamps) costs no write.
      if (stored && JSON.stringify(stored) === json) continue;
      this.pendingConsent.set(key, { json, at: now });
      this.cacheConsent(key, merged);
    }
    this.scheduleFlush();
    return merged;
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || (this.pendingConsent.size === 0 && this.pendingTraits.size === 0)) return;
    this.flushScheduled = true;
    queueMicrotask(() => this.flush());
  }

  /** Told, after each write, of the attributes set on this router since the last one (shared state). */
  onTraitsWritten(listener: (entries: TraitEntry[]) => void): void {
    this.traitsWritten = listener;
  }

  /** Attributes another router set: each kept where it is newer than what is stored, as if set here. */
  applySharedTraits(entries: readonly TraitEntry[]): void {
    for (const { key, traits, times } of entries) {
      for (const [name, value] of Object.entries(traits)) this.mergeTraits(key, { [name]: value }, times[name] ?? 0, false);
    }
  }

  /** Writes recorded consent and traits now (also done automatically right after the run that recorded them). */
  flush(): void {
    this.flushScheduled = false;
    if (this.pendingConsent.size === 0 && this.pendingTraits.size === 0) return;
    const consent = [...this.pendingConsent];
    const traits = [...this.pendingTraits];
    this.pendingConsent.clear();
    this.pendingTraits.clear();
    const now = Date.now();
    this.db.transaction(() => {
      for (const [key, row] of consent) this.statements.upsertConsent.run(key, row.json, row.at);
      for (const [key, row] of traits) this.statements.upsertTraits.run(key, JSON.stringify(row.traits), JSON.stringify(row.times), now);
    })();
    if (this.unsharedTraits.size && this.traitsWritten) {
      const entries = [...this.unsharedTraits.values()];
      this.unsharedTraits = new Map();
      this.traitsWritten(entries);
    }
  }

  /** Applies attribute corrections (`null` removes one) under every key; returns the resulting traits. */
  rectify(identityKeys: string[], changes: Record<string, unknown>, now = Date.now()): Record<string, unknown> {
    let traits: Record<string, unknown> = {};
    for (const key of identityKeys) traits = this.recordTraits(key, changes, now);
    return traits;
  }

  /** Sets traits observed at `at` (epoch ms) that differ from and are newer than what is stored. */
  recordTraits(key: string, traits: Record<string, unknown>, at: number): Record<string, unknown> {
    return this.mergeTraits(key, traits, at, true);
  }

  private mergeTraits(key: string, traits: Record<string, unknown>, at: number, share: boolean): Record<string, unknown> {
    const seen = this.traitCache.get(key);
    const incoming = JSON.stringify(traits);
    if (seen === incoming) return traits;
    const pending = this.pendingTraits.get(key);
    const stored = pending ? undefined : this.stored(key);
    const merged = { ...(pending?.traits ?? stored?.traits ?? {}) };
    const times = { ...(pending?.times ?? stored?.traitTimes ?? {}) };
    let changed = false;
    for (const [name, value] of Object.entries(traits)) {
      if ((times[name] ?? -Infinity) > at || JSON.stringify(merged[name]) === JSON.stringify(value)) continue;
      merged[name] = value;
      times[name] = at;
      changed = true;
      if (share && this.traitsWritten) {
        const entry = this.unsharedTraits.get(key) ?? { key, traits: {}, times: {} };
        entry.traits[name] = value;
        entry.times[name] = at;
        this.unsharedTraits.set(key, entry);
      }
    }
    if (changed) {
      this.pendingTraits.set(key, { traits: merged, times });
      this.scheduleFlush();
    }
    this.traitCache.set(key, incoming);
    return merged;
  }

  /** Folds the record under `fromKey` into `intoKey` (a merge of two people): latest consent and traits win. */
  mergeInto(fromKey: string, intoKey: string): { before: UserConsent; after: UserConsent; from: UserConsent } {
    const before = this.consentOf([intoKey]);
    const from = this.consentOf([fromKey]);
    const after = this.recordConsent([intoKey], from);
    const moving = this.get(fromKey);
    for (const [name, value] of Object.entries(moving?.traits ?? {})) this.recordTraits(intoKey, { [name]: value }, moving!.traitTimes[name] ?? 0);
    return { before, after, from };
  }

  delete(identityKeys: string[]): number {
    this.flush();
    let removed = 0;
    this.db.transaction(() => {
      for (const key of identityKeys) removed += this.statements.delete.run(key).changes;
    })();
    for (const key of identityKeys) {
      this.consentCache.delete(key);
      this.traitCache.delete(key);
    }
    return removed;
  }
}
