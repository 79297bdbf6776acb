import Database from 'better-sqlite3';
import type { AudienceDefinition, ExitReason, MembershipRecord } from './audience-types.js';
import {
  EVER_DAY,
  type AudienceStore,
  type ProfileState,
  type RunWrites,
  type StoredCondition,
  type StoredDefinition,
  type StoredEvaluation,
} from './audience-store.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS audience_definitions (
  key TEXT PRIMARY KEY, name TEXT, description TEXT, rule TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS audience_evaluations (key TEXT PRIMARY KEY, progress TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS audience_conditions (
  id INTEGER PRIMARY KEY, signature TEXT NOT NULL UNIQUE, keep_days INTEGER NOT NULL, keep_total INTEGER NOT NULL
);
-- One row per (profile, condition, UTC day), plus a running total (day -1) for conditions used with "ever".
-- Clustered by profile, because every run reads one profile's buckets together.
CREATE TABLE IF NOT EXISTS audience_aggregates (
  profile_id TEXT NOT NULL, condition_id INTEGER NOT NULL, day INTEGER NOT NULL,
  count INTEGER NOT NULL, sum REAL NOT NULL, min REAL, max REAL,
  PRIMARY KEY (profile_id, condition_id, day)
) WITHOUT ROWID;
-- The daily rollover finds the profiles whose buckets left a window, and prunes old days, by condition and day.
CREATE INDEX IF NOT EXISTS audience_aggregates_day ON audience_aggregates (condition_id, day);
CREATE TABLE IF NOT EXISTS audience_memberships (
  id INTEGER PRIMARY KEY, audience TEXT NOT NULL, profile_id TEXT NOT NULL,
  entered_at INTEGER NOT NULL, exited_at INTEGER, exit_reason TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS audience_members_current ON audience_memberships (audience, profile_id) WHERE exited_at IS NULL;
CREATE INDEX IF NOT EXISTS audience_memberships_profile ON audience_memberships (profile_id);
CREATE TABLE IF NOT EXISTS audience_profiles (profile_id TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS audience_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
`;

/** Adds to a bucket; a NULL min or max on either side keeps the other. */
const MERGE_BUCKET = `count = count + excluded.count, sum = sum + excluded.sum,
  min = CASE WHEN min IS NULL THEN excluded.min WHEN excluded.min IS NULL THEN min ELSE min(min, excluded.min) END,
  max = CASE WHEN max IS NULL THEN excluded.max WHEN excluded.max IS NULL THEN max ELSE max(max, excluded.max) END`;

/** profile_id, condition_id, day, count, sum, min, max */
type BucketTuple = [string, number, number, number, number, number | null, number | null];

interface MembershipRow {
  audience: string;
  profile_id: string;
  entered_at: number;
  exited_at: number | null;
  exit_reason: string | null;
}

/**
 * The embedded audience store: `audiences.db` in the storage folder, WAL. A run's bucket updates and membership
 * changes are one transaction. `synchronous = NORMAL`: a power loss can lose the last run, which only delays
 * memberships (aggregates of those events are lost; the events themselves are in the queue and the destinations).
 */
export class SqliteAudienceStore implements AudienceStore {
  private readonly db: Database.Database;
  private readonly statements;

  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(SCHEMA);
    const db = this.db;
    this.statements = {
      conditions: db.prepare<[], { id: number; signature: string; keep_days: number; keep_total: number }>('SELECT * FROM audience_conditions'),
      insertCondition: db.prepare('INSERT INTO audience_conditions (signature, keep_days, keep_total) VALUES (?, ?, ?)'),
      updateCondition: db.prepare('UPDATE audience_conditions SET keep_days = ?, keep_total = ? WHERE id = ?'),
      deleteCondition: db.prepare('DELETE FROM audience_conditions WHERE id = ?'),
      deleteConditionBuckets: db.prepare('DELETE FROM audience_aggregates WHERE condition_id = ?'),
      seedTotals: db.prepare(`INSERT INTO audience_aggregates (profile_id, condition_id, day, count, sum, min, max)
        SELECT profile_id, condition_id, ${EVER_DAY}, sum(count), sum(sum), min(min), max(max) FROM audience_aggregates
        WHERE condition_id = ? AND day >= 0 GROUP BY profile_id
        ON CONFLICT DO NOTHING`),
      deleteTotals: db.prepare(`DELETE FROM audience_aggregates WHERE condition_id = ? AND day = ${EVER_DAY}`),
      // Raw rows: a run reads thousands, and building an object for each costs more than the look-up.
      buckets: db
        .prepare<[string, string, number], BucketTuple>(
          `SELECT profile_id, condition_id, day, count, sum, min, max FROM audience_aggregates
        WHERE profile_id IN (SELECT value FROM json_each(?)) AND condition_id IN (SELECT value FROM json_each(?)) AND (day >= ? OR day = ${EVER_DAY})`,
        )
        .raw(true),
      current: db.prepare<[string], { audience: string; profile_id: string }>(
        'SELECT audience, profile_id FROM audience_memberships WHERE profile_id IN (SELECT value FROM json_each(?)) AND exited_at IS NULL',
      ),
      known: db.prepare<[string], string>('SELECT profile_id FROM audience_profiles WHERE profile_id IN (SELECT value FROM json_each(?))').pluck(),
      addBucket: db.prepare(`INSERT INTO audience_aggregates (profile_id, condition_id, day, count, sum, min, max) VALUES (?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT DO UPDATE SET ${MERGE_BUCKET}`),
      enter: db.prepare('INSERT INTO audience_memberships (audience, profile_id, entered_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING'),
      exit: db.prepare('UPDATE audience_memberships SET exited_at = ?, exit_reason = ? WHERE audience = ? AND profile_id = ? AND exited_at IS NULL'),
      addKnown: db.prepare('INSERT OR IGNORE INTO audience_profiles (profile_id) VALUES (?)'),
      members: db.prepare<[string, string, number], MembershipRow>(`SELECT * FROM audience_memberships
        WHERE audience = ? AND exited_at IS NULL AND profile_id > ? ORDER BY profile_id LIMIT ?`),
      counts: db.prepare<[], { audience: string; n: number }>(
        'SELECT audience, count(*) AS n FROM audience_memberships WHERE exited_at IS NULL GROUP BY audience',
      ),
      membershipsOf: db.prepare<[string], MembershipRow>('SELECT * FROM audience_memberships WHERE profile_id = ? ORDER BY entered_at DESC, id DESC'),
      knownAfter: db.prepare<[string, number], { profile_id: string }>(
        'SELECT profile_id FROM audience_profiles WHERE profile_id > ? ORDER BY profile_id LIMIT ?',
      ),
      knownCount: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM audience_profiles'),
      withBuckets: db.prepare<[number, number, number, string, number], { profile_id: string }>(`SELECT DISTINCT profile_id FROM audience_aggregates
        WHERE condition_id = ? AND day BETWEEN ? AND ? AND profile_id > ? ORDER BY profile_id LIMIT ?`),
      prune: db.prepare('DELETE FROM audience_aggregates WHERE condition_id = ? AND day >= 0 AND day < ?'),
      copyBuckets: db.prepare(`INSERT INTO audience_aggregates (profile_id, condition_id, day, count, sum, min, max)
        SELECT ?, condition_id, day, count, sum, min, max FROM audience_aggregates WHERE profile_id = ? AND true
        ON CONFLICT DO UPDATE SET ${MERGE_BUCKET}`),
      deleteBuckets: db.prepare('DELETE FROM audience_aggregates WHERE profile_id = ?'),
      deleteMemberships: db.prepare('DELETE FROM audience_memberships WHERE profile_id = ?'),
      deleteKnown: db.prepare('DELETE FROM audience_profiles WHERE profile_id = ?'),
      definitions: db.prepare<[], { key: string; name: string | null; description: string | null; rule: string; created_at: number; updated_at: number }>(
        'SELECT * FROM audience_definitions ORDER BY key',
      ),
      definition: db.prepare<[string], { created_at: number }>('SELECT created_at FROM audience_definitions WHERE key = ?'),
      saveDefinition: db.prepare(`INSERT INTO audience_definitions (key, name, description, rule, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
        ON CONFLICT(key) DO UPDATE SET name = excluded.name, description = excluded.description, rule = excluded.rule, updated_at = excluded.updated_at`),
      deleteDefinition: db.prepare('DELETE FROM audience_definitions WHERE key = ?'),
      evaluation: db.prepare<[string], { progress: string }>('SELECT progress FROM audience_evaluations WHERE key = ?'),
      saveEvaluation: db.prepare('INSERT INTO audience_evaluations (key, progress) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET progress = excluded.progress'),
      deleteEvaluation: db.prepare('DELETE FROM audience_evaluations WHERE key = ?'),
      meta: db.prepare<[string], { value: string }>('SELECT value FROM audience_meta WHERE name = ?'),
      setMeta: db.prepare('INSERT INTO audience_meta (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value'),
    };
  }

  async useConditions(conditions: readonly StoredCondition[]): Promise<Map<string, number>> {
    return this.db.transaction(() => {
      const existing = new Map(this.statements.conditions.all().map((row) => [row.signature, row]));
      const ids = new Map<string, number>();
      for (const condition of conditions) {
        const row = existing.get(condition.signature);
        if (!row) {
          ids.set(
            condition.signature,
            Number(this.statements.insertCondition.run(condition.signature, condition.keepDays, condition.keepTotal ? 1 : 0).lastInsertRowid),
          );
          continue;
        }
        ids.set(condition.signature, row.id);
        // A total started now begins with what the day buckets still hold.
        if (condition.keepTotal && !row.keep_total) this.statements.seedTotals.run(row.id);
        if (!condition.keepTotal && row.keep_total) this.statements.deleteTotals.run(row.id);
        if (condition.keepDays !== row.keep_days || condition.keepTotal !== Boolean(row.keep_total)) {
          this.statements.updateCondition.run(condition.keepDays, condition.keepTotal ? 1 : 0, row.id);
        }
      }
      for (const [signature, row] of existing) {
        if (ids.has(signature)) continue;
        this.statements.deleteConditionBuckets.run(row.id);
        this.statements.deleteCondition.run(row.id);
      }
      return ids;
    })();
  }

  async load(profileIds: readonly string[], conditionIds: readonly number[], fromDay: number, seen?: ReadonlySet<string>): Promise<Map<string, ProfileState>> {
    const states = new Map<string, ProfileState>(profileIds.map((id) => [id, { known: seen?.has(id) ?? false, buckets: new Map(), memberships: new Set() }]));
    if (profileIds.length === 0) return states;
    const ids = JSON.stringify(profileIds);
    const unsure = seen ? profileIds.filter((id) => !seen.has(id)) : profileIds;
    if (unsure.length) for (const id of this.statements.known.all(JSON.stringify(unsure))) states.get(id)!.known = true;
    for (const { audience, profile_id } of this.statements.current.all(ids)) states.get(profile_id)!.memberships.add(audience);
    if (conditionIds.length) {
      for (const [profileId, conditionId, day, count, sum, min, max] of this.statements.buckets.all(ids, JSON.stringify(conditionIds), fromDay)) {
        const buckets = states.get(profileId)!.buckets;
        let days = buckets.get(conditionId);
        if (!days) buckets.set(conditionId, (days = new Map()));
        days.set(day, { count, sum, ...(min !== null ? { min } : {}), ...(max !== null ? { max } : {}) });
      }
    }
    return states;
  }

  async commit(run: RunWrites): Promise<void> {
    if (!run.deltas.length && !run.entered.length && !run.exited.length && !run.known.length) return;
    const s = this.statements;
    this.db.transaction(() => {
      for (const d of run.deltas) s.addBucket.run(d.profileId, d.conditionId, d.day, d.count, d.sum, d.min ?? null, d.max ?? null);
      for (const e of run.exited) s.exit.run(e.at, e.reason, e.audience, e.profileId);
      for (const e of run.entered) s.enter.run(e.audience, e.profileId, e.at);
      for (const id of run.known) s.addKnown.run(id);
    })();
  }

  async members(audience: string, after: string | undefined, limit: number): Promise<MembershipRecord[]> {
    return this.statements.members.all(audience, after ?? '', limit).map(recordOf);
  }

  async memberCounts(): Promise<Map<string, number>> {
    return new Map(this.statements.counts.all().map((row) => [row.audience, row.n]));
  }

  async membershipsOf(profileId: string): Promise<MembershipRecord[]> {
    return this.statements.membershipsOf.all(profileId).map(recordOf);
  }

  async knownProfiles(after: string | undefined, limit: number): Promise<string[]> {
    return this.statements.knownAfter.all(after ?? '', limit).map((row) => row.profile_id);
  }

  async knownProfileCount(): Promise<number> {
    return this.statements.knownCount.get()!.n;
  }

  async profilesWithBuckets(conditionId: number, fromDay: number, toDay: number, after: string | undefined, limit: number): Promise<string[]> {
    return this.statements.withBuckets.all(conditionId, fromDay, toDay, after ?? '', limit).map((row) => row.profile_id);
  }

  async pruneBuckets(conditionId: number, beforeDay: number): Promise<number> {
    return this.statements.prune.run(conditionId, beforeDay).changes;
  }

  async mergeProfiles(from: string, into: string): Promise<void> {
    this.db.transaction(() => {
      this.statements.copyBuckets.run(into, from);
      this.statements.deleteBuckets.run(from);
      this.statements.addKnown.run(into);
    })();
  }

  async copyProfile(from: string, to: string): Promise<void> {
    this.db.transaction(() => {
      this.statements.copyBuckets.run(to, from);
      this.statements.addKnown.run(to);
    })();
  }

  async eraseProfiles(profileIds: readonly string[]): Promise<void> {
    this.db.transaction(() => {
      for (const id of profileIds) {
        this.statements.deleteBuckets.run(id);
        this.statements.deleteMemberships.run(id);
        this.statements.deleteKnown.run(id);
      }
    })();
  }

  async definitions(): Promise<StoredDefinition[]> {
    return this.statements.definitions.all().map((row) => ({
      key: row.key,
      ...(row.name !== null ? { name: row.name } : {}),
      ...(row.description !== null ? { description: row.description } : {}),
      rule: JSON.parse(row.rule) as unknown,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    }));
  }

  async saveDefinition(definition: AudienceDefinition, at: number): Promise<StoredDefinition> {
    const createdAt = this.statements.definition.get(definition.key)?.created_at ?? at;
    this.statements.saveDefinition.run(definition.key, definition.name ?? null, definition.description ?? null, JSON.stringify(definition.rule), createdAt, at);
    return { ...definition, createdAt, updatedAt: at };
  }

  async deleteDefinition(key: string): Promise<boolean> {
    return this.statements.deleteDefinition.run(key).changes > 0;
  }

  async evaluation(key: string): Promise<StoredEvaluation | undefined> {
    const row = this.statements.evaluation.get(key);
    return row ? (JSON.parse(row.progress) as StoredEvaluation) : undefined;
  }

  async saveEvaluation(key: string, evaluation: StoredEvaluation): Promise<void> {
    this.statements.saveEvaluation.run(key, JSON.stringify(evaluation));
  }

  async deleteEvaluation(key: string): Promise<void> {
    this.statements.deleteEvaluation.run(key);
  }

  async meta(name: string): Promise<string | undefined> {
    return this.statements.meta.get(name)?.value;
  }

  async setMeta(name: string, value: string): Promise<void> {
    this.statements.setMeta.run(name, value);
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

function recordOf(row: MembershipRow): MembershipRecord {
  return {
    audience: row.audience,
    profileId: row.profile_id,
    enteredAt: row.entered_at,
    ...(row.exited_at !== null ? { exitedAt: row.exited_at } : {}),
    ...(row.exit_reason !== null ? { exitReason: row.exit_reason as ExitReason } : {}),
  };
}
