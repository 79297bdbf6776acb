import Database from 'better-sqlite3';
import type { GraphChange, GraphLogEntry, IdentityStore, LinkedIdentifier, StoredProfile } from './identity-store.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS identity_profiles (id TEXT PRIMARY KEY, created_at INTEGER NOT NULL) WITHOUT ROWID;
-- Clustered by profile, so a profile's identifiers are read together; the key index answers look-ups alone.
CREATE TABLE IF NOT EXISTS identity_links (
  profile_id TEXT NOT NULL, key TEXT NOT NULL, type TEXT NOT NULL, value TEXT NOT NULL, linked_at INTEGER NOT NULL,
  PRIMARY KEY (profile_id, key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS identity_links_key ON identity_links (key);
CREATE TABLE IF NOT EXISTS identity_aliases (id TEXT PRIMARY KEY, survivor TEXT NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS identity_aliases_survivor ON identity_aliases (survivor);
CREATE TABLE IF NOT EXISTS identity_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, kind TEXT NOT NULL, profile_id TEXT NOT NULL,
  other_profile_id TEXT, identifiers TEXT NOT NULL, cause TEXT NOT NULL, rule TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS identity_log_profile ON identity_log (profile_id);
CREATE INDEX IF NOT EXISTS identity_log_other ON identity_log (other_profile_id);
CREATE TABLE IF NOT EXISTS identity_separations (a TEXT NOT NULL, b TEXT NOT NULL, PRIMARY KEY (a, b)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS identity_separations_b ON identity_separations (b);
CREATE TABLE IF NOT EXISTS identity_tombstones (hash TEXT PRIMARY KEY, erased_at INTEGER NOT NULL) WITHOUT ROWID;
`;

interface LogRow {
  id: number;
  at: number;
  kind: GraphLogEntry['kind'];
  profile_id: string;
  other_profile_id: string | null;
  identifiers: string;
  cause: string;
  rule: string;
}

/** The embedded identity graph store: one SQLite file (`identity.db`) beside the queue. */
export class SqliteIdentityStore implements IdentityStore {
  private readonly db: Database.Database;
  private readonly statements;

  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    // A crash of the process loses nothing; a power loss can lose the last links, which later events re-create.
    this.db.pragma('synchronous = NORMAL');
    // Resolution reads profiles at random: a larger page cache and memory-mapped reads keep a big graph fast.
    this.db.pragma('cache_size = -65536');
    this.db.pragma('mmap_size = 268435456');
    this.db.exec(SCHEMA);
    const db = this.db;
    this.statements = {
      links: db.prepare<[string], { key: string; type: string; value: string; linked_at: number }>(
        'SELECT key, type, value, linked_at FROM identity_links WHERE profile_id = ? ORDER BY linked_at, key',
      ),
      byKeys: db.prepare<[string], { key: string; profile_id: string }>(
        'SELECT key, profile_id FROM identity_links WHERE key IN (SELECT value FROM json_each(?)) ORDER BY key, profile_id',
      ),
      survivors: db.prepare<[string], { id: string; survivor: string }>(
        'SELECT id, survivor FROM identity_aliases WHERE id IN (SELECT value FROM json_each(?))',
      ),
      profilesIn: db.prepare<[string], { id: string; created_at: number }>(
        'SELECT id, created_at FROM identity_profiles WHERE id IN (SELECT value FROM json_each(?))',
      ),
      linksIn: db.prepare<[string], { profile_id: string; key: string; type: string; value: string; linked_at: number }>(
        'SELECT profile_id, key, type, value, linked_at FROM identity_links WHERE profile_id IN (SELECT value FROM json_each(?)) ORDER BY linked_at, key',
      ),
      anyTombstone: db.prepare<[], { n: number }>('SELECT EXISTS (SELECT 1 FROM identity_tombstones) AS n'),
      anySeparation: db.prepare<[], { n: number }>('SELECT EXISTS (SELECT 1 FROM identity_separations) AS n'),
      aliases: db.prepare<[string], { id: string }>('SELECT id FROM identity_aliases WHERE survivor = ?'),
      separations: db.prepare<[string, string], { a: string; b: string }>('SELECT a, b FROM identity_separations WHERE b = ? OR a = ?'),
      tombstone: db.prepare<[string], { hash: string }>('SELECT hash FROM identity_tombstones WHERE hash = ?'),
      createProfile: db.prepare('INSERT OR IGNORE INTO identity_profiles (id, created_at) VALUES (?, ?)'),
      deleteAlias: db.prepare('DELETE FROM identity_aliases WHERE id = ?'),
      link: db.prepare('INSERT OR IGNORE INTO identity_links (key, profile_id, type, value, linked_at) VALUES (?, ?, ?, ?, ?)'),
      unlink: db.prepare('DELETE FROM identity_links WHERE key = ? AND profile_id = ?'),
      moveLinks: db.prepare(
        'INSERT OR IGNORE INTO identity_links (profile_id, key, type, value, linked_at) SELECT ?, key, type, value, linked_at FROM identity_links WHERE profile_id = ?',
      ),
      dropLinks: db.prepare('DELETE FROM identity_links WHERE profile_id = ?'),
      dropProfile: db.prepare('DELETE FROM identity_profiles WHERE id = ?'),
      repointAliases: db.prepare('UPDATE identity_aliases SET survivor = ? WHERE survivor = ?'),
      addAlias: db.prepare('INSERT OR REPLACE INTO identity_aliases (id, survivor) VALUES (?, ?)'),
      separate: db.prepare('INSERT OR IGNORE INTO identity_separations (a, b) VALUES (?, ?)'),
      // The survivor keeps what the absorbed profile was kept apart from (the absorbed rows stay for a split).
      moveSeparations: db.prepare(`INSERT OR IGNORE INTO identity_separations (a, b)
        SELECT CASE WHEN a = 'profile:' || @from THEN 'profile:' || @into ELSE a END, CASE WHEN b = @from THEN @into ELSE b END
        FROM identity_separations WHERE a = 'profile:' || @from OR b = @from`),
      log: db.prepare(
        'INSERT INTO identity_log (at, kind, profile_id, other_profile_id, identifiers, cause, rule) VALUES (@at, @kind, @profileId, @otherProfileId, @identifiers, @cause, @rule)',
      ),
      logOf: db.prepare<[string, string, number], LogRow>('SELECT * FROM identity_log WHERE profile_id = ? OR other_profile_id = ? ORDER BY id DESC LIMIT ?'),
      logEntry: db.prepare<[number], LogRow>('SELECT * FROM identity_log WHERE id = ?'),
      eraseLog: db.prepare('DELETE FROM identity_log WHERE profile_id = ? OR other_profile_id = ?'),
      eraseAliases: db.prepare('DELETE FROM identity_aliases WHERE survivor = ? OR id = ?'),
      eraseSeparations: db.prepare('DELETE FROM identity_separations WHERE a = ? OR b = ?'),
      addTombstone: db.prepare('INSERT OR IGNORE INTO identity_tombstones (hash, erased_at) VALUES (?, ?)'),
      countLinks: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM identity_links'),
    };
  }

  async profilesByKey(keys: readonly string[]): Promise<Map<string, string[]>> {
    const found = new Map<string, string[]>();
    if (keys.length === 0) return found;
    for (const row of this.statements.byKeys.all(JSON.stringify(keys))) {
      const list = found.get(row.key);
      if (list) list.push(row.profile_id);
      else found.set(row.key, [row.profile_id]);
    }
    return found;
  }

  async profiles(ids: readonly string[]): Promise<Map<string, StoredProfile>> {
    const found = new Map<string, StoredProfile>();
    if (ids.length === 0) return found;
    const survivors = new Map(ids.map((id) => [id, id]));
    for (const row of this.statements.survivors.all(JSON.stringify(ids))) survivors.set(row.id, row.survivor);
    const wanted = JSON.stringify([...new Set(survivors.values())]);
    const byId = new Map<string, StoredProfile>();
    for (const row of this.statements.profilesIn.all(wanted)) byId.set(row.id, { id: row.id, createdAt: row.created_at, identifiers: [] });
    for (const link of this.statements.linksIn.all(wanted)) {
      byId.get(link.profile_id)?.identifiers.push({ type: link.type, value: link.value, key: link.key, linkedAt: link.linked_at } satisfies LinkedIdentifier);
    }
    for (const [id, survivor] of survivors) {
      const profile = byId.get(survivor);
      if (profile) found.set(id, profile);
    }
    return found;
  }

  async aliasesOf(ids: readonly string[]): Promise<Map<string, string[]>> {
    return new Map(ids.map((id) => [id, this.statements.aliases.all(id).map((row) => row.id)]));
  }

  async separations(profileIds: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    if (!this.statements.anySeparation.get()!.n) return found;
    for (const id of profileIds) for (const row of this.statements.separations.all(id, `profile:${id}`)) found.add(`${row.a}|${row.b}`);
    return found;
  }

  async tombstoned(hashes: readonly string[]): Promise<Set<string>> {
    return new Set(hashes.filter((hash) => this.statements.tombstone.get(hash)));
  }

  async hasTombstones(): Promise<boolean> {
    return this.statements.anyTombstone.get()!.n === 1;
  }

  async apply(change: GraphChange): Promise<void> {
    const s = this.statements;
    this.db.transaction(() => {
      for (const profile of change.create) s.createProfile.run(profile.id, profile.createdAt);
      for (const id of change.restore) {
        s.deleteAlias.run(id);
        s.createProfile.run(id, Date.now());
      }
      for (const { from, into } of change.merge) {
        s.moveLinks.run(into, from);
        s.dropLinks.run(from);
        s.dropProfile.run(from);
        s.repointAliases.run(into, from);
        s.addAlias.run(from, into);
        s.moveSeparations.run({ from, into });
      }
      for (const { profileId, key } of change.unlink) s.unlink.run(key, profileId);
      for (const { profileId, identifier: i } of change.link) s.link.run(i.key, profileId, i.type, i.value, i.linkedAt);
      for (const [a, b] of change.separate) s.separate.run(a, b);
      for (const entry of change.log) {
        s.log.run({ ...entry, otherProfileId: entry.otherProfileId ?? null, identifiers: JSON.stringify(entry.identifiers) });
      }
    })();
  }

  async log(profileId: string, limit: number): Promise<GraphLogEntry[]> {
    return this.statements.logOf.all(profileId, profileId, limit).map(presentLog);
  }

  async logEntry(id: number): Promise<GraphLogEntry | undefined> {
    const row = this.statements.logEntry.get(id);
    return row && presentLog(row);
  }

  async erase(profileIds: readonly string[], tombstones: readonly string[], at: number): Promise<void> {
    const s = this.statements;
    this.db.transaction(() => {
      for (const id of profileIds) {
        for (const alias of s.aliases.all(id)) {
          s.eraseLog.run(alias.id, alias.id);
          s.eraseSeparations.run(`profile:${alias.id}`, alias.id);
        }
        s.dropLinks.run(id);
        s.dropProfile.run(id);
        s.eraseLog.run(id, id);
        s.eraseAliases.run(id, id);
        s.eraseSeparations.run(`profile:${id}`, id);
      }
      for (const hash of tombstones) s.addTombstone.run(hash, at);
    })();
  }

  async countIdentifiers(): Promise<number> {
    return this.statements.countLinks.get()!.n;
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

function presentLog(row: LogRow): GraphLogEntry {
  return {
    id: row.id,
    at: row.at,
    kind: row.kind,
    profileId: row.profile_id,
    ...(row.other_profile_id ? { otherProfileId: row.other_profile_id } : {}),
    identifiers: JSON.parse(row.identifiers) as GraphLogEntry['identifiers'],
    cause: row.cause,
    rule: row.rule,
  };
}
