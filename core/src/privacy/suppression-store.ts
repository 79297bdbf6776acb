import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { canonicalIdentityType, identityKey } from '../vocabulary/identity-types.js';

export interface Suppression {
  id: string;
  identity_type: string;
  identity_value: string;
  reason?: string;
  created_at: string;
}

/**
 * Users whose events must never be stored or sent. Kept in SQLite and mirrored in memory, because the
 * check runs for every event at ingestion and again before every delivery.
 */
export class SuppressionStore {
  private readonly keys = new Map<string, string>();
  private readonly statements;

  constructor(private readonly db: Database.Database) {
    db.exec(`CREATE TABLE IF NOT EXISTS suppressions (
      id TEXT PRIMARY KEY,
      identity_key TEXT NOT NULL UNIQUE,
      identity_type TEXT NOT NULL,
      identity_value TEXT NOT NULL,
      reason TEXT,
      created_at TEXT NOT NULL
    )`);
    // Keys a suppression covers besides its own identifier: the person's other identifiers and profile ids.
    db.exec(`CREATE TABLE IF NOT EXISTS suppression_person_keys (
      suppression_id TEXT NOT NULL,
      identity_key TEXT NOT NULL,
      PRIMARY KEY (suppression_id, identity_key)
    ) WITHOUT ROWID`);
    this.statements = {
      insert: db.prepare('INSERT INTO suppressions (id, identity_key, identity_type, identity_value, reason, created_at) VALUES (?, ?, ?, ?, ?, ?)'),
      byKey: db.prepare('SELECT * FROM suppressions WHERE identity_key = ?'),
      byId: db.prepare('SELECT * FROM suppressions WHERE id = ?'),
      list: db.prepare('SELECT * FROM suppressions ORDER BY created_at, id LIMIT ? OFFSET ?'),
      delete: db.prepare('DELETE FROM suppressions WHERE id = ?'),
      addPersonKey: db.prepare('INSERT OR IGNORE INTO suppression_person_keys (suppression_id, identity_key) VALUES (?, ?)'),
      personKeys: db.prepare<[string], { identity_key: string }>('SELECT identity_key FROM suppression_person_keys WHERE suppression_id = ?'),
      deletePersonKeys: db.prepare('DELETE FROM suppression_person_keys WHERE suppression_id = ?'),
      count: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM suppressions'),
    };
    // Keys are derived again at load, so a change of the identity vocabulary (a new alias, a shared key
    // class) applies to suppressions stored before it.
    for (const row of db.prepare('SELECT id, identity_type, identity_value FROM suppressions').all() as Array<{
      id: string;
      identity_type: string;
      identity_value: string;
    }>) {
      this.keys.set(identityKey(row.identity_type, row.identity_value), row.id);
    }
    for (const row of db.prepare('SELECT suppression_id, identity_key FROM suppression_person_keys').all() as Array<{
      suppression_id: string;
      identity_key: string;
    }>) {
      if (!this.keys.has(row.identity_key)) this.keys.set(row.identity_key, row.suppression_id);
    }
  }

  /** Extends a suppression to the rest of its person: their other identifiers and profile ids. */
  addPersonKeys(suppressionId: string, keys: readonly string[]): void {
    this.db.transaction(() => {
      for (const key of keys) {
        if (this.keys.has(key)) continue;
        this.statements.addPersonKey.run(suppressionId, key);
        this.keys.set(key, suppressionId);
      }
    })();
  }

  /** The suppression covering any of these keys, if one does. */
  suppressionOf(identityKeys: readonly string[]): string | undefined {
    for (const key of identityKeys) {
      const id = this.keys.get(key);
      if (id) return id;
    }
    return undefined;
  }

  /** Adds a suppression; adding one that exists returns the existing one (`created: false`). */
  add(typeName: string, identityValue: string, reason?: string): { suppression: Suppression; created: boolean } {
    const identityType = canonicalIdentityType(typeName) ?? typeName;
    const key = identityKey(identityType, identityValue);
    const existingId = this.keys.get(key);
    const existing = (existingId ? this.statements.byId.get(existingId) : this.statements.byKey.get(key)) as
      (Suppression & { identity_key: string }) | undefined;
    if (existing) return { suppression: present(existing), created: false };
    const suppression: Suppression = {
      id: randomUUID(),
      identity_type: identityType,
      identity_value: identityValue,
      ...(reason ? { reason } : {}),
      created_at: new Date().toISOString(),
    };
    this.statements.insert.run(suppression.id, key, identityType, identityValue, reason ?? null, suppression.created_at);
    this.keys.set(key, suppression.id);
    return { suppression, created: true };
  }

  /** Keeps a suppression made elsewhere (another router) with its id and time; the existing one when its identifier is suppressed already. */
  adopt(suppression: Suppression): string {
    const key = identityKey(suppression.identity_type, suppression.identity_value);
    const existing = this.keys.get(key) ?? (this.statements.byKey.get(key) as { id: string } | undefined)?.id;
    if (existing) return existing;
    this.statements.insert.run(suppression.id, key, suppression.identity_type, suppression.identity_value, suppression.reason ?? null, suppression.created_at);
    this.keys.set(key, suppression.id);
    return suppression.id;
  }

  has(id: string): boolean {
    return this.statements.byId.get(id) !== undefined;
  }

  remove(id: string): boolean {
    const row = this.statements.byId.get(id) as { identity_type: string; identity_value: string } | undefined;
    if (!row) return false;
    for (const { identity_key } of this.statements.personKeys.all(id)) if (this.keys.get(identity_key) === id) this.keys.delete(identity_key);
    this.db.transaction(() => {
      this.statements.delete.run(id);
      this.statements.deletePersonKeys.run(id);
    })();
    this.keys.delete(identityKey(row.identity_type, row.identity_value));
    return true;
  }

  /** The suppressions that cover any of these identity keys (data-subject access). */
  matching(identityKeys: readonly string[]): Suppression[] {
    const ids = new Set(identityKeys.map((key) => this.keys.get(key)).filter((id): id is string => id !== undefined));
    return [...ids].map((id) => present(this.statements.byId.get(id) as Suppression));
  }

  list(limit = 100, offset = 0): Suppression[] {
    return (this.statements.list.all(limit, offset) as Array<Suppression & { identity_key: string }>).map(present);
  }

  isSuppressed(identityKeys: readonly string[]): boolean {
    return identityKeys.some((key) => this.keys.has(key));
  }

  get size(): number {
    return this.statements.count.get()!.n;
  }
}

function present(row: Suppression & { identity_key?: string; reason?: string | null }): Suppression {
  return {
    id: row.id,
    identity_type: row.identity_type,
    identity_value: row.identity_value,
    ...(row.reason ? { reason: row.reason } : {}),
    created_at: row.created_at,
  };
}
