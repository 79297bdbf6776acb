import pg from 'pg';
import { withAdvisoryLock } from '../state/advisory-lock.js';
import { isSchemaName, schemaNameProblem } from '../state/postgres-names.js';
import { inTransaction } from '../state/postgres-transaction.js';
import type { AudienceDefinition, ExitReason, MembershipRecord } from './audience-types.js';
import {
  EVER_DAY,
  type AudienceStore,
  type BucketDelta,
  type ProfileState,
  type RunWrites,
  type StoredCondition,
  type StoredDefinition,
  type StoredEvaluation,
} from './audience-store.js';

/**
 * Audience state in PostgreSQL, so routers sharing a schema share definitions, aggregates and memberships. Tables
 * and statements mirror sqlite-audience-store.ts, whose SQL is the reference; profile ids are `COLLATE "C"` so
 * pages through them follow the same byte order. pg answers bigint columns as strings; every number here is well
 * inside a double's exact range.
 */
export interface PostgresAudienceStoreOptions {
  url: string;
  /** Created when missing: 1 to 63 letters, digits or underscores. */
  schema: string;
}

export class AudienceStoreError extends Error {
  readonly code = 'AUDIENCE_SCHEMA_INVALID';
}

interface MembershipRow {
  audience: string;
  profile_id: string;
  entered_at: string;
  exited_at: string | null;
  exit_reason: string | null;
}

export class PostgresAudienceStore implements AudienceStore {
  private readonly t: Record<'definitions' | 'evaluations' | 'conditions' | 'aggregates' | 'memberships' | 'profiles' | 'meta', string>;
  private closed = false;

  private constructor(
    private readonly pool: pg.Pool,
    private readonly schema: string,
  ) {
    const name = (table: string) => `"${schema}".audience_${table}`;
    this.t = {
      definitions: name('definitions'),
      evaluations: name('evaluations'),
      conditions: name('conditions'),
      aggregates: name('aggregates'),
      memberships: name('memberships'),
      profiles: name('profiles'),
      meta: name('meta'),
    };
  }

  static async open(options: PostgresAudienceStoreOptions): Promise<PostgresAudienceStore> {
    if (!isSchemaName(options.schema)) throw new AudienceStoreError(schemaNameProblem('audience store', options.schema));
    const pool = new pg.Pool({ connectionString: options.url, max: 5, connectionTimeoutMillis: 10_000, application_name: 'switchyard-audiences' });
    pool.on('error', () => {});
    const store = new PostgresAudienceStore(pool, options.schema);
    try {
      await store.transaction(async (client) => {
        await client.query(`SELECT pg_advisory_xact_lock(hashtext('switchyard.audiences'), hashtext($1))`, [options.schema]);
        await client.query(store.schemaSql());
      });
    } catch (error) {
      await pool.end();
      throw error;
    }
    return store;
  }

  private schemaSql(): string {
    const t = this.t;
    return `
CREATE SCHEMA IF NOT EXISTS "${this.schema}";
CREATE TABLE IF NOT EXISTS ${t.definitions} (
  key text PRIMARY KEY, name text, description text, rule text NOT NULL, created_at bigint NOT NULL, updated_at bigint NOT NULL
);
CREATE TABLE IF NOT EXISTS ${t.evaluations} (key text PRIMARY KEY, progress text NOT NULL);
CREATE TABLE IF NOT EXISTS ${t.conditions} (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY, signature text NOT NULL UNIQUE, keep_days integer NOT NULL, keep_total boolean NOT NULL
);
CREATE TABLE IF NOT EXISTS ${t.aggregates} (
  profile_id text COLLATE "C" NOT NULL, condition_id integer NOT NULL, day integer NOT NULL,
  count bigint NOT NULL, sum double precision NOT NULL, min double precision, max double precision,
  PRIMARY KEY (profile_id, condition_id, day)
);
CREATE INDEX IF NOT EXISTS audience_aggregates_day ON ${t.aggregates} (condition_id, day);
CREATE TABLE IF NOT EXISTS ${t.memberships} (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, audience text NOT NULL, profile_id text COLLATE "C" NOT NULL,
  entered_at bigint NOT NULL, exited_at bigint, exit_reason text
);
CREATE UNIQUE INDEX IF NOT EXISTS audience_members_current ON ${t.memberships} (audience, profile_id) WHERE exited_at IS NULL;
CREATE INDEX IF NOT EXISTS audience_memberships_profile ON ${t.memberships} (profile_id);
CREATE TABLE IF NOT EXISTS ${t.profiles} (profile_id text COLLATE "C" PRIMARY KEY);
CREATE TABLE IF NOT EXISTS ${t.meta} (name text PRIMARY KEY, value text NOT NULL);
`;
  }

  /** Adds to a bucket; least and greatest skip a NULL side, as the SQLite store's CASE does. */
  private mergeBucket(): string {
    return `count = b.count + excluded.count, sum = b.sum + excluded.sum, min = least(b.min, excluded.min), max = greatest(b.max, excluded.max)`;
  }

  private async rows<T extends pg.QueryResultRow>(text: string, values: unknown[] = [], client: pg.ClientBase | pg.Pool = this.pool): Promise<T[]> {
    return (await client.query<T>(text, values)).rows;
  }

  private transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return inTransaction(this.pool, work);
  }

  exclusive<T>(work: () => Promise<T>): Promise<T> {
    return withAdvisoryLock(this.pool, 'switchyard.audience_runs', this.schema, work);
  }

  async useConditions(conditions: readonly StoredCondition[]): Promise<Map<string, number>> {
    const t = this.t;
    return this.transaction(async (client) => {
      // Routers applying their config together take turns.
      await client.query(`SELECT pg_advisory_xact_lock(hashtext('switchyard.audience_conditions'), hashtext($1))`, [this.schema]);
      const existing = new Map(
        (await this.rows<{ id: number; signature: string; keep_days: number; keep_total: boolean }>(`SELECT * FROM ${t.conditions}`, [], client)).map((row) => [
          row.signature,
          row,
        ]),
      );
      const ids = new Map<string, number>();
      for (const condition of conditions) {
        const row = existing.get(condition.signature);
        if (!row) {
          const [inserted] = await this.rows<{ id: number }>(
            `INSERT INTO ${t.conditions} (signature, keep_days, keep_total) VALUES ($1, $2, $3) RETURNING id`,
            [condition.signature, condition.keepDays, condition.keepTotal],
            client,
          );
          ids.set(condition.signature, inserted!.id);
          continue;
        }
        ids.set(condition.signature, row.id);
        // A total started now begins with what the day buckets still hold.
        if (condition.keepTotal && !row.keep_total) {
          await client.query(
            `INSERT INTO ${t.aggregates} (profile_id, condition_id, day, count, sum, min, max)
             SELECT profile_id, condition_id, ${EVER_DAY}, sum(count), sum(sum), min(min), max(max) FROM ${t.aggregates}
             WHERE condition_id = $1 AND day >= 0 GROUP BY profile_id, condition_id ON CONFLICT DO NOTHING`,
            [row.id],
          );
        }
        if (!condition.keepTotal && row.keep_total) await client.query(`DELETE FROM ${t.aggregates} WHERE condition_id = $1 AND day = ${EVER_DAY}`, [row.id]);
        if (condition.keepDays !== row.keep_days || condition.keepTotal !== row.keep_total) {
          await client.query(`UPDATE ${t.conditions} SET keep_days = $1, keep_total = $2 WHERE id = $3`, [condition.keepDays, condition.keepTotal, row.id]);
        }
      }
      for (const [signature, row] of existing) {
        if (ids.has(signature)) continue;
        await client.query(`DELETE FROM ${t.aggregates} WHERE condition_id = $1`, [row.id]);
        await client.query(`DELETE FROM ${t.conditions} WHERE id = $1`, [row.id]);
      }
      return ids;
    });
  }

  async load(profileIds: readonly string[], conditionIds: readonly number[], fromDay: number, seen?: ReadonlySet<string>): Promise<Map<string, ProfileState>> {
    const t = this.t;
    const states = new Map<string, ProfileState>(profileIds.map((id) => [id, { known: seen?.has(id) ?? false, buckets: new Map(), memberships: new Set() }]));
    if (profileIds.length === 0) return states;
    const ids = [...profileIds];
    const unsure = seen ? ids.filter((id) => !seen.has(id)) : ids;
    if (unsure.length) {
      for (const row of await this.rows<{ profile_id: string }>(`SELECT profile_id FROM ${t.profiles} WHERE profile_id = ANY($1::text[])`, [unsure])) {
        states.get(row.profile_id)!.known = true;
      }
    }
    for (const row of await this.rows<{ audience: string; profile_id: string }>(
      `SELECT audience, profile_id FROM ${t.memberships} WHERE profile_id = ANY($1::text[]) AND exited_at IS NULL`,
      [ids],
    )) {
      states.get(row.profile_id)!.memberships.add(row.audience);
    }
    if (conditionIds.length) {
      const buckets = await this.rows<{
        profile_id: string;
        condition_id: number;
        day: number;
        count: string;
        sum: number;
        min: number | null;
        max: number | null;
      }>(
        `SELECT profile_id, condition_id, day, count, sum, min, max FROM ${t.aggregates}
         WHERE profile_id = ANY($1::text[]) AND condition_id = ANY($2::int[]) AND (day >= $3 OR day = ${EVER_DAY})`,
        [ids, [...conditionIds], fromDay],
      );
      for (const row of buckets) {
        const profileBuckets = states.get(row.profile_id)!.buckets;
        let days = profileBuckets.get(row.condition_id);
        if (!days) profileBuckets.set(row.condition_id, (days = new Map()));
        days.set(row.day, {
          count: Number(row.count),
          sum: row.sum,
          ...(row.min !== null ? { min: row.min } : {}),
          ...(row.max !== null ? { max: row.max } : {}),
        });
      }
    }
    return states;
  }

  async commit(run: RunWrites): Promise<void> {
    if (!run.deltas.length && !run.entered.length && !run.exited.length && !run.known.length) return;
    const t = this.t;
    // One row per bucket: a statement may not update the same row twice.
    const deltas = combineDeltas(run.deltas);
    await this.transaction(async (client) => {
      if (deltas.length) {
        await client.query(
          `INSERT INTO ${t.aggregates} AS b (profile_id, condition_id, day, count, sum, min, max)
           SELECT * FROM unnest($1::text[], $2::int[], $3::int[], $4::bigint[], $5::float8[], $6::float8[], $7::float8[])
           ON CONFLICT (profile_id, condition_id, day) DO UPDATE SET ${this.mergeBucket()}`,
          [
            deltas.map((d) => d.profileId),
            deltas.map((d) => d.conditionId),
            deltas.map((d) => d.day),
            deltas.map((d) => d.count),
            deltas.map((d) => d.sum),
            deltas.map((d) => d.min ?? null),
            deltas.map((d) => d.max ?? null),
          ],
        );
      }
      // Exits first, so a profile leaving and entering again in one run gets a new membership.
      for (const e of run.exited) {
        await client.query(`UPDATE ${t.memberships} SET exited_at = $1, exit_reason = $2 WHERE audience = $3 AND profile_id = $4 AND exited_at IS NULL`, [
          e.at,
          e.reason,
          e.audience,
          e.profileId,
        ]);
      }
      if (run.entered.length) {
        await client.query(
          `INSERT INTO ${t.memberships} (audience, profile_id, entered_at)
           SELECT audience, profile_id, at FROM unnest($1::text[], $2::text[], $3::bigint[]) WITH ORDINALITY AS e (audience, profile_id, at, n) ORDER BY n
           ON CONFLICT DO NOTHING`,
          [run.entered.map((e) => e.audience), run.entered.map((e) => e.profileId), run.entered.map((e) => e.at)],
        );
      }
      if (run.known.length) await client.query(`INSERT INTO ${t.profiles} (profile_id) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING`, [run.known]);
    });
  }

  async members(audience: string, after: string | undefined, limit: number): Promise<MembershipRecord[]> {
    return (
      await this.rows<MembershipRow>(
        `SELECT * FROM ${this.t.memberships} WHERE audience = $1 AND exited_at IS NULL AND profile_id > $2 ORDER BY profile_id LIMIT $3`,
        [audience, after ?? '', limit],
      )
    ).map(recordOf);
  }

  async memberCounts(): Promise<Map<string, number>> {
    const rows = await this.rows<{ audience: string; n: string }>(
      `SELECT audience, count(*) AS n FROM ${this.t.memberships} WHERE exited_at IS NULL GROUP BY audience`,
    );
    return new Map(rows.map((row) => [row.audience, Number(row.n)]));
  }

  async membershipsOf(profileId: string): Promise<MembershipRecord[]> {
    return (await this.rows<MembershipRow>(`SELECT * FROM ${this.t.memberships} WHERE profile_id = $1 ORDER BY entered_at DESC, id DESC`, [profileId])).map(
      recordOf,
    );
  }

  async knownProfiles(after: string | undefined, limit: number): Promise<string[]> {
    const rows = await this.rows<{ profile_id: string }>(`SELECT profile_id FROM ${this.t.profiles} WHERE profile_id > $1 ORDER BY profile_id LIMIT $2`, [
      after ?? '',
      limit,
    ]);
    return rows.map((row) => row.profile_id);
  }

  async knownProfileCount(): Promise<number> {
    return Number((await this.rows<{ n: string }>(`SELECT count(*) AS n FROM ${this.t.profiles}`))[0]!.n);
  }

  async profilesWithBuckets(conditionId: number, fromDay: number, toDay: number, after: string | undefined, limit: number): Promise<string[]> {
    const rows = await this.rows<{ profile_id: string }>(
      `SELECT DISTINCT profile_id FROM ${this.t.aggregates} WHERE condition_id = $1 AND day BETWEEN $2 AND $3 AND profile_id > $4 ORDER BY profile_id LIMIT $5`,
      [conditionId, fromDay, toDay, after ?? '', limit],
    );
    return rows.map((row) => row.profile_id);
  }

  async pruneBuckets(conditionId: number, beforeDay: number): Promise<number> {
    return (
      (await this.pool.query(`DELETE FROM ${this.t.aggregates} WHERE condition_id = $1 AND day >= 0 AND day < $2`, [conditionId, beforeDay])).rowCount ?? 0
    );
  }

  private copyBuckets(client: pg.ClientBase, from: string, to: string) {
    return client.query(
      `INSERT INTO ${this.t.aggregates} AS b (profile_id, condition_id, day, count, sum, min, max)
       SELECT $1, condition_id, day, count, sum, min, max FROM ${this.t.aggregates} WHERE profile_id = $2
       ON CONFLICT (profile_id, condition_id, day) DO UPDATE SET ${this.mergeBucket()}`,
      [to, from],
    );
  }

  async mergeProfiles(from: string, into: string): Promise<void> {
    await this.transaction(async (client) => {
      await this.copyBuckets(client, from, into);
      await client.query(`DELETE FROM ${this.t.aggregates} WHERE profile_id = $1`, [from]);
      await client.query(`INSERT INTO ${this.t.profiles} (profile_id) VALUES ($1) ON CONFLICT DO NOTHING`, [into]);
    });
  }

  async copyProfile(from: string, to: string): Promise<void> {
    await this.transaction(async (client) => {
      await this.copyBuckets(client, from, to);
      await client.query(`INSERT INTO ${this.t.profiles} (profile_id) VALUES ($1) ON CONFLICT DO NOTHING`, [to]);
    });
  }

  async eraseProfiles(profileIds: readonly string[]): Promise<void> {
    if (profileIds.length === 0) return;
    const ids = [...profileIds];
    await this.transaction(async (client) => {
      for (const table of [this.t.aggregates, this.t.memberships, this.t.profiles])
        await client.query(`DELETE FROM ${table} WHERE profile_id = ANY($1::text[])`, [ids]);
    });
  }

  async definitions(): Promise<StoredDefinition[]> {
    const rows = await this.rows<{ key: string; name: string | null; description: string | null; rule: string; created_at: string; updated_at: string }>(
      `SELECT * FROM ${this.t.definitions} ORDER BY key COLLATE "C"`,
    );
    return rows.map((row) => ({
      key: row.key,
      ...(row.name !== null ? { name: row.name } : {}),
      ...(row.description !== null ? { description: row.description } : {}),
      rule: JSON.parse(row.rule) as unknown,
      createdAt: Number(row.created_at),
      updatedAt: Number(row.updated_at),
    }));
  }

  async saveDefinition(definition: AudienceDefinition, at: number): Promise<StoredDefinition> {
    const [row] = await this.rows<{ created_at: string }>(
      `INSERT INTO ${this.t.definitions} (key, name, description, rule, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)
       ON CONFLICT (key) DO UPDATE SET name = excluded.name, description = excluded.description, rule = excluded.rule, updated_at = excluded.updated_at
       RETURNING created_at`,
      [definition.key, definition.name ?? null, definition.description ?? null, JSON.stringify(definition.rule), at],
    );
    return { ...definition, createdAt: Number(row!.created_at), updatedAt: at };
  }

  async deleteDefinition(key: string): Promise<boolean> {
    return ((await this.pool.query(`DELETE FROM ${this.t.definitions} WHERE key = $1`, [key])).rowCount ?? 0) > 0;
  }

  async evaluation(key: string): Promise<StoredEvaluation | undefined> {
    const [row] = await this.rows<{ progress: string }>(`SELECT progress FROM ${this.t.evaluations} WHERE key = $1`, [key]);
    return row ? (JSON.parse(row.progress) as StoredEvaluation) : undefined;
  }

  async saveEvaluation(key: string, evaluation: StoredEvaluation): Promise<void> {
    await this.pool.query(`INSERT INTO ${this.t.evaluations} (key, progress) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET progress = excluded.progress`, [
      key,
      JSON.stringify(evaluation),
    ]);
  }

  async deleteEvaluation(key: string): Promise<void> {
    await this.pool.query(`DELETE FROM ${this.t.evaluations} WHERE key = $1`, [key]);
  }

  async meta(name: string): Promise<string | undefined> {
    return (await this.rows<{ value: string }>(`SELECT value FROM ${this.t.meta} WHERE name = $1`, [name]))[0]?.value;
  }

  async setMeta(name: string, value: string): Promise<void> {
    await this.pool.query(`INSERT INTO ${this.t.meta} (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = excluded.value`, [name, value]);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}

function combineDeltas(deltas: readonly BucketDelta[]): BucketDelta[] {
  const combined = new Map<string, BucketDelta>();
  for (const d of deltas) {
    const key = `${d.profileId}\u0000${d.conditionId}\u0000${d.day}`;
    const current = combined.get(key);
    if (!current) {
      combined.set(key, { ...d });
      continue;
    }
    current.count += d.count;
    current.sum += d.sum;
    if (d.min !== undefined) current.min = current.min === undefined ? d.min : Math.min(current.min, d.min);
    if (d.max !== undefined) current.max = current.max === undefined ? d.max : Math.max(current.max, d.max);
  }
  return [...combined.values()];
}

function recordOf(row: MembershipRow): MembershipRecord {
  return {
    audience: row.audience,
    profileId: row.profile_id,
    enteredAt: Number(row.entered_at),
    ...(row.exited_at !== null ? { exitedAt: Number(row.exited_at) } : {}),
    ...(row.exit_reason !== null ? { exitReason: row.exit_reason as ExitReason } : {}),
  };
}
