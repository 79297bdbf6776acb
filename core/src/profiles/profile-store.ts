import type Database from 'better-sqlite3';
import { mergeConsent, type UserConsent } from './consent-record.js';

export interface Profile {
  identityKey: string;
  consent: UserConsent;
  /** Attributes corrected or set through rectification; `null` marks an attribute to remove downstream. */
  traits: Record<string, unknown>;
  updatedAt: number;
}

/**
 * What Switchyard keeps about a user, per identity key: their latest consent and rectified attributes.
 * Each key stands alone: look-ups merge across the keys of one event, and keys are not joined into a person.
 */
export class ProfileStore {
  private readonly statements;
  /** Consent per identity key (null: none stored), so the ingestion hot path rarely reads SQLite. */
  private readonly consentCache = new Map<string, UserConsent | null>();
  private static readonly CONSENT_CACHE_SIZE = 100_000;
  /**
   * Consent rows recorded but not yet written. Ingestion records consent event by event; the rows of one
   * request are written in one transaction (one fsync) at the end of the synchronous run that recorded them.
   */
  private readonly pendingConsent = new Map<string, { json: string; at: number }>();
  private flushScheduled = false;

  constructor(private readonly db: Database.Database) {
    db.exec(`CREATE TABLE IF NOT EXISTS profiles (
      identity_key TEXT PRIMARY KEY,
      consent TEXT NOT NULL DEFAULT '{"purposes":{}}',
      traits TEXT NOT NULL DEFAULT '{}',
      updated_at INTEGER NOT NULL
    )`);
    this.statements = {
      get: db.prepare('SELECT * FROM profiles WHERE identity_key = ?'),
      getConsent: db.prepare('SELECT consent FROM profiles WHERE identity_key = ?'),
      upsertConsent: db.prepare(`INSERT INTO profiles (identity_key, consent, updated_at) VALUES (?, ?, ?)
        ON CONFLICT(identity_key) DO UPDATE SET consent = excluded.consent, updated_at = excluded.updated_at`),
      upsertTraits: db.prepare(`INSERT INTO profiles (identity_key, traits, updated_at) VALUES (?, ?, ?)
        ON CONFLICT(identity_key) DO UPDATE SET traits = excluded.traits, updated_at = excluded.updated_at`),
      delete: db.prepare('DELETE FROM profiles WHERE identity_key = ?'),
    };
  }

  get(identityKey: string): Profile | undefined {
    this.flushConsent();
    const row = this.statements.get.get(identityKey) as Record<string, unknown> | undefined;
    if (!row) return undefined;
    return {
      identityKey,
      consent: JSON.parse(String(row.consent)) as UserConsent,
      traits: JSON.parse(String(row.traits)) as Record<string, unknown>,
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

  private storedConsent(key: string): UserConsent | null {
    const cached = this.consentCache.get(key);
    if (cached !== undefined) return cached;
    const pending = this.pendingConsent.get(key);
    if (pending) return JSON.parse(pending.json) as UserConsent;
    const row = this.statements.getConsent.get(key) as { consent: string } | undefined;
    const consent = row ? (JSON.parse(row.consent) as UserConsent) : null;
    this.cacheConsent(key, consent);
    return consent;
  }

  private cacheConsent(key: string, consent: UserConsent | null): void {
    if (this.consentCache.size >= ProfileStore.CONSENT_CACHE_SIZE) {
      // Drop the oldest entry; Map iteration order is insertion order.
      this.consentCache.delete(this.consentCache.keys().next().value!);
    }
    this.consentCache.set(key, consent);
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
    if (this.pendingConsent.size > 0 && !this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(() => this.flushConsent());
    }
    return merged;
  }

  /** Writes recorded consent now (also done automatically right after the run that recorded it). */
  flushConsent(): void {
    this.flushScheduled = false;
    if (this.pendingConsent.size === 0) return;
    const rows = [...this.pendingConsent];
    this.pendingConsent.clear();
    this.db.transaction(() => {
      for (const [key, row] of rows) this.statements.upsertConsent.run(key, row.json, row.at);
    })();
  }

  /** Applies attribute corrections (`null` removes one) under every key; returns the resulting traits. */
  rectify(identityKeys: string[], changes: Record<string, unknown>, now = Date.now()): Record<string, unknown> {
    this.flushConsent();
    let traits: Record<string, unknown> = {};
    this.db.transaction(() => {
      for (const key of identityKeys) {
        traits = { ...(this.get(key)?.traits ?? {}), ...changes };
        this.statements.upsertTraits.run(key, JSON.stringify(traits), now);
      }
    })();
    return traits;
  }

  delete(identityKeys: string[]): number {
    this.flushConsent();
    let removed = 0;
    this.db.transaction(() => {
      for (const key of identityKeys) removed += this.statements.delete.run(key).changes;
    })();
    for (const key of identityKeys) this.consentCache.delete(key);
    return removed;
  }
}
