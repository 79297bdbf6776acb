import Database from 'better-sqlite3';

export type SyncRunKind = 'backfill' | 'reconcile' | 'changes';

/** One error sample of a run, as the admin API shows it. */
export interface SyncRunError {
  at: string;
  code: string;
  message: string;
}

/** One run of a sync (a backfill, a reconciliation, or an hour of live changes), with counts from delivery outcomes. */
export interface SyncRun {
  id: string;
  kind: SyncRunKind;
  status: 'running' | 'succeeded' | 'failed';
  startedAt: string;
  finishedAt: string | null;
  total: number | null;
  processed: number;
  added: number;
  removed: number;
  unmatched: number;
  failed: number;
  errors: SyncRunError[];
}

/** An error sample as stored: with the person it is about, so that an erasure can purge it. */
interface StoredError extends SyncRunError {
  profileId?: string;
}

/** Runs kept per sync; older ones are deleted as new ones start. */
export const RUNS_KEPT = 100;
/** Error samples kept per run. */
export const ERROR_SAMPLES = 20;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS sync_runs (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE, audience TEXT NOT NULL, connection TEXT NOT NULL, kind TEXT NOT NULL, status TEXT NOT NULL,
  started_at TEXT NOT NULL, finished_at TEXT, total INTEGER, processed INTEGER NOT NULL,
  added INTEGER NOT NULL, removed INTEGER NOT NULL, unmatched INTEGER NOT NULL, failed INTEGER NOT NULL, errors TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sync_runs_by_sync ON sync_runs (audience, connection, seq);
CREATE TABLE IF NOT EXISTS sync_states (
  audience TEXT NOT NULL, connection TEXT NOT NULL, backfilled_at TEXT, reconciled_at TEXT, settings TEXT,
  PRIMARY KEY (audience, connection)
) WITHOUT ROWID;
`;

interface Row {
  id: string;
  kind: SyncRunKind;
  status: SyncRun['status'];
  started_at: string;
  finished_at: string | null;
  total: number | null;
  processed: number;
  added: number;
  removed: number;
  unmatched: number;
  failed: number;
  errors: string;
}

const COLUMNS = 'id, kind, status, started_at, finished_at, total, processed, added, removed, unmatched, failed, errors';

/** A run as it is kept while counting: the public record plus the error samples' people. */
export interface LiveRun extends SyncRun {
  audience: string;
  connection: string;
  errorSamples: StoredError[];
}

/**
 * The run history of every sync and whether it was backfilled (`audience-syncs.db` beside the synced members). Runs
 * left running by a stopped router are marked failed when it opens again.
 */
export class SyncRuns {
  private readonly db: Database.Database;

  constructor(file: string, now: () => string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.exec(SCHEMA);
    const interrupted: StoredError = { at: now(), code: 'INTERRUPTED', message: 'the router stopped during this run' };
    this.db
      .prepare(`UPDATE sync_runs SET status = 'failed', finished_at = ?, errors = json_insert(errors, '$[#]', json(?)) WHERE status = 'running'`)
      .run(now(), JSON.stringify(interrupted));
  }

  /** Inserts a new run and drops the sync's oldest beyond RUNS_KEPT. */
  insert(run: LiveRun): void {
    this.db.transaction(() => {
      this.db
        .prepare(`INSERT INTO sync_runs (audience, connection, ${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
        .run(run.audience, run.connection, ...values(run));
      this.db
        .prepare(
          `DELETE FROM sync_runs WHERE audience = ? AND connection = ? AND seq <= (
             SELECT seq FROM sync_runs WHERE audience = ? AND connection = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)`,
        )
        .run(run.audience, run.connection, run.audience, run.connection, RUNS_KEPT);
    })();
  }

  save(run: LiveRun): void {
    const [id, ...rest] = values(run);
    this.db
      .prepare(
        `UPDATE sync_runs SET kind = ?, status = ?, started_at = ?, finished_at = ?, total = ?, processed = ?, added = ?, removed = ?,
         unmatched = ?, failed = ?, errors = ? WHERE id = ?`,
      )
      .run(...rest, id);
  }

  /** The sync's runs, newest first. */
  list(audience: string, connection: string, limit = RUNS_KEPT): SyncRun[] {
    const rows = this.db
      .prepare(`SELECT ${COLUMNS} FROM sync_runs WHERE audience = ? AND connection = ? ORDER BY seq DESC LIMIT ?`)
      .all(audience, connection, limit) as Row[];
    return rows.map(runOf);
  }

  get(audience: string, connection: string, id: string): SyncRun | undefined {
    const row = this.db.prepare(`SELECT ${COLUMNS} FROM sync_runs WHERE audience = ? AND connection = ? AND id = ?`).get(audience, connection, id) as
      Row | undefined;
    return row && runOf(row);
  }

  /** The newest finished run of the sync. */
  lastFinished(audience: string, connection: string): SyncRun | undefined {
    const row = this.db
      .prepare(`SELECT ${COLUMNS} FROM sync_runs WHERE audience = ? AND connection = ? AND status != 'running' ORDER BY seq DESC LIMIT 1`)
      .get(audience, connection) as Row | undefined;
    return row && runOf(row);
  }

  /** When the sync was last backfilled and reconciled, and the settings (JSON) its backfill sent to. */
  state(audience: string, connection: string): { backfilledAt?: string; reconciledAt?: string; settings?: string } {
    const row = this.db
      .prepare('SELECT backfilled_at, reconciled_at, settings FROM sync_states WHERE audience = ? AND connection = ?')
      .get(audience, connection) as { backfilled_at: string | null; reconciled_at: string | null; settings: string | null } | undefined;
    return {
      ...(row?.backfilled_at ? { backfilledAt: row.backfilled_at } : {}),
      ...(row?.reconciled_at ? { reconciledAt: row.reconciled_at } : {}),
      ...(row?.settings ? { settings: row.settings } : {}),
    };
  }

  markBackfilled(audience: string, connection: string, at: string, settings: string): void {
    this.db
      .prepare(
        `INSERT INTO sync_states (audience, connection, backfilled_at, settings) VALUES (?, ?, ?, ?)
         ON CONFLICT (audience, connection) DO UPDATE SET backfilled_at = excluded.backfilled_at, settings = excluded.settings`,
      )
      .run(audience, connection, at, settings);
  }

  markReconciled(audience: string, connection: string, at: string): void {
    this.db
      .prepare(
        'INSERT INTO sync_states (audience, connection, reconciled_at) VALUES (?, ?, ?) ON CONFLICT (audience, connection) DO UPDATE SET reconciled_at = excluded.reconciled_at',
      )
      .run(audience, connection, at);
  }

  /**
   * An erasure: error samples about these people are deleted, and the identifier values named are cut out of every
   * other sample's message. Returns how many runs changed.
   */
  purge(profileIds: ReadonlySet<string>, values: readonly string[], live: Iterable<LiveRun>): number {
    const scrub = (errors: StoredError[]) => {
      const kept = errors.filter((e) => e.profileId === undefined || !profileIds.has(e.profileId));
      const cleaned = kept.map((e) => ({ ...e, message: redact(e.message, values) }));
      return JSON.stringify(cleaned) === JSON.stringify(errors) ? undefined : cleaned;
    };
    for (const run of live) {
      const cleaned = scrub(run.errorSamples);
      if (cleaned) {
        run.errorSamples = cleaned;
        run.errors = cleaned.map(publicError);
      }
    }
    let changed = 0;
    const rows = this.db.prepare("SELECT id, errors FROM sync_runs WHERE errors != '[]'").all() as Array<{ id: string; errors: string }>;
    const update = this.db.prepare('UPDATE sync_runs SET errors = ? WHERE id = ?');
    this.db.transaction(() => {
      for (const row of rows) {
        const cleaned = scrub(JSON.parse(row.errors) as StoredError[]);
        if (!cleaned) continue;
        update.run(JSON.stringify(cleaned), row.id);
        changed += 1;
      }
    })();
    return changed;
  }

  close(): void {
    this.db.close();
  }
}

function redact(message: string, values: readonly string[]): string {
  let out = message;
  for (const value of values) if (value.length >= 3) out = out.replace(new RegExp(value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gi'), '[erased]');
  return out;
}

export function publicError(error: StoredError): SyncRunError {
  return { at: error.at, code: error.code, message: error.message };
}

function values(run: LiveRun) {
  return [
    run.id,
    run.kind,
    run.status,
    run.startedAt,
    run.finishedAt,
    run.total,
    run.processed,
    run.added,
    run.removed,
    run.unmatched,
    run.failed,
    JSON.stringify(run.errorSamples),
  ] as const;
}

function runOf(row: Row): SyncRun {
  return {
    id: row.id,
    kind: row.kind,
    status: row.status,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    total: row.total,
    processed: row.processed,
    added: row.added,
    removed: row.removed,
    unmatched: row.unmatched,
    failed: row.failed,
    errors: (JSON.parse(row.errors) as StoredError[]).map(publicError),
  };
}
