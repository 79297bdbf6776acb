import pg from 'pg';
import { withAdvisoryLock } from '../state/advisory-lock.js';
import { isSchemaName, schemaNameProblem } from '../state/postgres-names.js';
import { identityStatements, type IdentityStatements } from './postgres-identity-sql.js';
import { isEmptyChange, type GraphChange, type GraphLogEntry, type IdentityStore, type LinkedIdentifier, type StoredProfile } from './identity-store.js';
import { inTransaction } from '../state/postgres-transaction.js';

/**
 * The identity graph in PostgreSQL, so several routers can share one graph. Tables and statements mirror
 * sqlite-identity-store.ts, whose SQL is the reference. Each graph lives in its own schema, so routers and test
 * runs can share a server. Keys and ids are `COLLATE "C"` so they compare and sort byte by byte, as SQLite does:
 * the order of a key's profiles decides ties in resolution.
 */
export interface PostgresIdentityStoreOptions {
  /** A PostgreSQL connection string (`postgres://user@host:5432/database`). */
  url: string;
  /** The schema holding the graph's tables, created when missing: 1 to 63 letters, digits or underscores. */
  schema: string;
}

export class IdentityStoreError extends Error {
  constructor(
    readonly code: 'IDENTITY_SCHEMA_INVALID' | 'IDENTITY_VALUE_UNSTORABLE',
    message: string,
  ) {
    super(message);
    this.name = 'IdentityStoreError';
  }
}

/** pg answers bigint columns as strings; times, log ids and counts are well inside a double's exact range. */
interface LogRow {
  id: string;
  at: string;
  kind: GraphLogEntry['kind'];
  profile_id: string;
  other_profile_id: string | null;
  identifiers: string;
  cause: string;
  rule: string;
}

interface ProfileRow {
  id: string;
  created_at: string;
  key: string | null;
  type: string;
  value: string;
  linked_at: string;
}

// PostgreSQL text cannot hold U+0000. No stored key or id contains one, so a read leaves such values out.
const storable = (value: string) => !value.includes('\u0000');

/** The identity graph in a PostgreSQL schema, shared by every router that opens the same schema. */
export class PostgresIdentityStore implements IdentityStore {
  private readonly sql: IdentityStatements;
  private closed = false;

  private constructor(
    private readonly pool: pg.Pool,
    private readonly schema: string,
  ) {
    this.sql = identityStatements(schema);
  }

  /** Connects and creates the schema and its tables when missing. */
  static async open(options: PostgresIdentityStoreOptions): Promise<PostgresIdentityStore> {
    if (!isSchemaName(options.schema)) throw new IdentityStoreError('IDENTITY_SCHEMA_INVALID', schemaNameProblem('identity store', options.schema));
    const pool = new pg.Pool({ connectionString: options.url, max: 5, connectionTimeoutMillis: 10_000, application_name: 'switchyard-identity' });
    // An idle client losing its connection must not crash the router; the next query connects again.
    pool.on('error', () => {});
    const store = new PostgresIdentityStore(pool, options.schema);
    try {
      await store.transaction(async (client) => {
        await client.query(store.sql.schemaLock, [options.schema]);
        await client.query(store.sql.schema);
      });
    } catch (error) {
      await pool.end();
      throw error;
    }
    return store;
  }

  private async rows<T extends pg.QueryResultRow>(text: string, values: unknown[]): Promise<T[]> {
    return (await this.pool.query<T>(text, values)).rows;
  }

  private transaction(work: (client: pg.PoolClient) => Promise<void>): Promise<void> {
    return inTransaction(this.pool, work);
  }

  async profilesByKey(keys: readonly string[]): Promise<Map<string, string[]>> {
    const asked = keys.filter(storable);
    if (asked.length === 0) return new Map();
    const linked = new Map<string, string[]>();
    for (const row of await this.rows<{ key: string; profile_id: string }>(this.sql.byKey, [asked])) {
      if (!linked.has(row.key)) linked.set(row.key, []);
      linked.get(row.key)!.push(row.profile_id);
    }
    return new Map(asked.filter((key) => linked.has(key)).map((key) => [key, linked.get(key)!]));
  }

  async profiles(ids: readonly string[]): Promise<Map<string, StoredProfile>> {
    const asked = ids.filter(storable);
    if (asked.length === 0) return new Map();
    const survivors = new Map((await this.rows<{ id: string; survivor: string }>(this.sql.survivors, [asked])).map((row) => [row.id, row.survivor]));
    const survivorOf = (id: string) => survivors.get(id) ?? id;
    const rowsById = new Map<string, ProfileRow[]>();
    for (const row of await this.rows<ProfileRow>(this.sql.profiles, [[...new Set(asked.map(survivorOf))]])) {
      if (!rowsById.has(row.id)) rowsById.set(row.id, []);
      rowsById.get(row.id)!.push(row);
    }
    const found = new Map<string, StoredProfile>();
    for (const id of asked) {
      const rows = rowsById.get(survivorOf(id));
      if (!rows) continue;
      const identifiers: LinkedIdentifier[] = rows
        .filter((row) => row.key !== null)
        .map((row) => ({ type: row.type, value: row.value, key: row.key!, linkedAt: Number(row.linked_at) }));
      found.set(id, { id: rows[0]!.id, createdAt: Number(rows[0]!.created_at), identifiers });
    }
    return found;
  }

  async aliasesOf(ids: readonly string[]): Promise<Map<string, string[]>> {
    const found = new Map<string, string[]>(ids.map((id) => [id, []]));
    const asked = ids.filter(storable);
    if (asked.length === 0) return found;
    for (const row of await this.rows<{ survivor: string; id: string }>(this.sql.aliases, [asked])) found.get(row.survivor)!.push(row.id);
    return found;
  }

  async separations(profileIds: readonly string[]): Promise<Set<string>> {
    const asked = profileIds.filter(storable);
    if (asked.length === 0) return new Set();
    const rows = await this.rows<{ a: string; b: string }>(this.sql.separations, [asked, asked.map((id) => `profile:${id}`)]);
    return new Set(rows.map((row) => `${row.a}|${row.b}`));
  }

  async tombstoned(hashes: readonly string[]): Promise<Set<string>> {
    const asked = hashes.filter(storable);
    if (asked.length === 0) return new Set();
    const found = new Set((await this.rows<{ hash: string }>(this.sql.tombstoned, [asked])).map((row) => row.hash));
    return new Set(asked.filter((hash) => found.has(hash)));
  }

  async hasTombstones(): Promise<boolean> {
    return (await this.rows<{ any: boolean }>(this.sql.anyTombstone, []))[0]?.any === true;
  }

  async apply(change: GraphChange): Promise<void> {
    if (isEmptyChange(change)) return;
    refuseNul(change);
    const s = this.sql;
    await this.transaction(async (client) => {
      const run = (text: string, values: unknown[]) => client.query(text, values);
      if (change.create.length) await run(s.create, [change.create.map((p) => p.id), change.create.map((p) => p.createdAt)]);
      if (change.restore.length) await run(s.restore, [change.restore, Date.now()]);
      // In order: a merge may absorb the survivor of an earlier one.
      for (const { from, into } of change.merge) {
        await run(s.merge, [from, into]);
        await run(s.moveSeparations, [from, into]);
      }
      if (change.unlink.length) await run(s.unlink, [change.unlink.map((u) => u.key), change.unlink.map((u) => u.profileId)]);
      if (change.link.length) {
        const links = change.link;
        await run(s.link, [
          links.map((l) => l.identifier.key),
          links.map((l) => l.profileId),
          links.map((l) => l.identifier.type),
          links.map((l) => l.identifier.value),
          links.map((l) => l.identifier.linkedAt),
        ]);
      }
      if (change.separate.length) await run(s.separate, [change.separate.map(([a]) => a), change.separate.map(([, b]) => b)]);
      if (change.log.length) {
        const log = change.log;
        await run(s.log, [
          log.map((e) => e.at),
          log.map((e) => e.kind),
          log.map((e) => e.profileId),
          log.map((e) => e.otherProfileId ?? null),
          log.map((e) => JSON.stringify(e.identifiers)),
          log.map((e) => e.cause),
          log.map((e) => e.rule),
        ]);
      }
    });
  }

  async log(profileId: string, limit: number): Promise<GraphLogEntry[]> {
    if (!storable(profileId)) return [];
    // SQLite reads a negative LIMIT as none; PostgreSQL refuses it.
    return (await this.rows<LogRow>(this.sql.logOf, [profileId, limit < 0 ? null : limit])).map(presentLog);
  }

  async logEntry(id: number): Promise<GraphLogEntry | undefined> {
    if (!Number.isSafeInteger(id)) return undefined;
    const [row] = await this.rows<LogRow>(this.sql.logEntry, [id]);
    return row && presentLog(row);
  }

  async erase(profileIds: readonly string[], tombstones: readonly string[], at: number): Promise<void> {
    const unstorable = tombstones.findIndex((hash) => !storable(hash));
    if (unstorable >= 0) throw unstorableError(`tombstones[${unstorable}]`);
    const ids = profileIds.filter(storable);
    const s = this.sql;
    await this.transaction(async (client) => {
      if (ids.length) {
        // The log of the aliases goes first, while the aliases still say whose they are.
        await client.query(s.eraseLog, [ids]);
        await client.query(s.dropLinks, [ids]);
        await client.query(s.dropProfiles, [ids]);
        await client.query(s.eraseSeparations, [ids]);
        await client.query(s.eraseAliases, [ids]);
      }
      if (tombstones.length) await client.query(s.addTombstones, [tombstones, at]);
    });
  }

  /** Resolutions of every router sharing the schema run one at a time. */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    return withAdvisoryLock(this.pool, 'switchyard.identity_graph', this.schema, work);
  }

  async countIdentifiers(): Promise<number> {
    const [row] = await this.rows<{ n: string }>(this.sql.countLinks, []);
    return Number(row!.n);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}

function unstorableError(path: string): IdentityStoreError {
  return new IdentityStoreError(
    'IDENTITY_VALUE_UNSTORABLE',
    `identity change not stored: ${path} contains U+0000, which PostgreSQL text cannot hold; nothing of the change was applied`,
  );
}

/** Refuses a change with a U+0000 in any text PostgreSQL keeps as text (log identifiers are JSON, where it is escaped). */
function refuseNul(change: GraphChange): void {
  const visit = (value: unknown, path: string): void => {
    if (typeof value === 'string') {
      if (!storable(value)) throw unstorableError(path);
    } else if (typeof value === 'object' && value !== null) {
      for (const [name, child] of Object.entries(value)) visit(child, Array.isArray(value) ? `${path}[${name}]` : `${path}.${name}`);
    }
  };
  visit({ ...change, log: change.log.map(({ identifiers: _json, ...entry }) => entry) }, 'change');
}

function presentLog(row: LogRow): GraphLogEntry {
  return {
    id: Number(row.id),
    at: Number(row.at),
    kind: row.kind,
    profileId: row.profile_id,
    ...(row.other_profile_id ? { otherProfileId: row.other_profile_id } : {}),
    identifiers: JSON.parse(row.identifiers) as GraphLogEntry['identifiers'],
    cause: row.cause,
    rule: row.rule,
  };
}
