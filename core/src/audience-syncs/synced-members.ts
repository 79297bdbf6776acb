import Database from 'better-sqlite3';

/** What a sync last sent for one person: added (with the identifiers sent) or removed. */
export interface SyncedMember {
  profileId: string;
  state: 'added' | 'removed';
  /** The identifiers the add carried, kept until the removal so that it reaches the destination after an erasure. */
  identities?: Record<string, string>;
  at: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS synced_members (
  audience TEXT NOT NULL, connection TEXT NOT NULL, profile_id TEXT NOT NULL,
  state TEXT NOT NULL, identities TEXT, at INTEGER NOT NULL,
  PRIMARY KEY (audience, connection, profile_id)
) WITHOUT ROWID;
`;

interface Row {
  profile_id: string;
  state: 'added' | 'removed';
  identities: string | null;
  at: number;
}

/** Per sync, what was sent for each person (`audience-syncs.db` beside the queue). */
export class SyncedMembers {
  private readonly db: Database.Database;

  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.exec(SCHEMA);
  }

  get(audience: string, connection: string, profileId: string): SyncedMember | undefined {
    const row = this.db
      .prepare('SELECT profile_id, state, identities, at FROM synced_members WHERE audience = ? AND connection = ? AND profile_id = ?')
      .get(audience, connection, profileId) as Row | undefined;
    return row && memberOf(row);
  }

  /** Every person of the sync, in profile order (paged). */
  list(audience: string, connection: string, afterProfileId = '', limit = 500): SyncedMember[] {
    const rows = this.db
      .prepare(
        'SELECT profile_id, state, identities, at FROM synced_members WHERE audience = ? AND connection = ? AND profile_id > ? ORDER BY profile_id LIMIT ?',
      )
      .all(audience, connection, afterProfileId, limit) as Row[];
    return rows.map(memberOf);
  }

  /** How many people the sync holds as added. */
  countAdded(audience: string, connection: string): number {
    const row = this.db
      .prepare("SELECT count(*) AS n FROM synced_members WHERE audience = ? AND connection = ? AND state = 'added'")
      .get(audience, connection) as { n: number };
    return row.n;
  }

  added(audience: string, connection: string, profileId: string, identities: Record<string, string>, at: number): void {
    this.put(audience, connection, profileId, 'added', JSON.stringify(identities), at);
  }

  /** Forgets what the sync sent (its destination changed: a new sync). */
  forgetSync(audience: string, connection: string): void {
    this.db.prepare('DELETE FROM synced_members WHERE audience = ? AND connection = ?').run(audience, connection);
  }

  /** Several adds in one transaction (a backfill page). */
  addedMany(audience: string, connection: string, members: ReadonlyArray<{ profileId: string; identities: Record<string, string> }>, at: number): void {
    this.db.transaction(() => {
      for (const m of members) this.added(audience, connection, m.profileId, m.identities, at);
    })();
  }

  /** The identifiers are forgotten with the removal: nothing about the person stays but the fact. */
  removed(audience: string, connection: string, profileId: string, at: number): void {
    this.put(audience, connection, profileId, 'removed', null, at);
  }

  private put(audience: string, connection: string, profileId: string, state: string, identities: string | null, at: number): void {
    this.db
      .prepare(
        `INSERT INTO synced_members (audience, connection, profile_id, state, identities, at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (audience, connection, profile_id) DO UPDATE SET state = excluded.state, identities = excluded.identities, at = excluded.at`,
      )
      .run(audience, connection, profileId, state, identities, at);
  }

  close(): void {
    this.db.close();
  }
}

function memberOf(row: Row): SyncedMember {
  return {
    profileId: row.profile_id,
    state: row.state,
    ...(row.identities ? { identities: JSON.parse(row.identities) as Record<string, string> } : {}),
    at: row.at,
  };
}
