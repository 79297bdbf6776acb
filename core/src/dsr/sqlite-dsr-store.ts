import type Database from 'better-sqlite3';
import type { DsrStore } from './dsr-store.js';
import type { DsrRecord } from './dsr-types.js';

/** The embedded store: a table in privacy.db, used by one router, which serves its exports from its own files. */
export class SqliteDsrStore implements DsrStore {
  private readonly statements;

  constructor(private readonly db: Database.Database) {
    db.exec(`CREATE TABLE IF NOT EXISTS dsr_requests (
      id TEXT PRIMARY KEY, status TEXT NOT NULL, record TEXT NOT NULL, results_token TEXT UNIQUE
    )`);
    const columns = new Set((db.prepare('PRAGMA table_info(dsr_requests)').all() as Array<{ name: string }>).map((c) => c.name));
    if (!columns.has('claimed_by')) db.exec('ALTER TABLE dsr_requests ADD COLUMN claimed_by TEXT');
    if (!columns.has('claimed_until')) db.exec('ALTER TABLE dsr_requests ADD COLUMN claimed_until INTEGER');
    // One router owns the file (the storage lock): claims of a previous run are its own, ended with it.
    db.exec('UPDATE dsr_requests SET claimed_by = NULL, claimed_until = NULL');
    this.statements = {
      insert: db.prepare('INSERT OR IGNORE INTO dsr_requests (id, status, record, results_token) VALUES (?, ?, ?, ?)'),
      update: db.prepare('UPDATE dsr_requests SET status = ?, record = ?, results_token = ? WHERE id = ?'),
      get: db.prepare('SELECT record FROM dsr_requests WHERE id = ?'),
      byToken: db.prepare('SELECT record FROM dsr_requests WHERE results_token = ?'),
      unfinished: db.prepare("SELECT record FROM dsr_requests WHERE status IN ('pending', 'in_progress')"),
      claim: db.prepare(
        `UPDATE dsr_requests SET claimed_by = @owner, claimed_until = @until WHERE id = @id AND status IN ('pending', 'in_progress')
         AND (claimed_by IS NULL OR claimed_by = @owner OR claimed_until < @now) RETURNING record`,
      ),
      release: db.prepare('UPDATE dsr_requests SET claimed_by = NULL, claimed_until = NULL WHERE id = ? AND claimed_by = ?'),
      cancel: db.prepare(
        "UPDATE dsr_requests SET status = 'cancelled', record = @record WHERE id = @id AND status = 'pending' AND (claimed_by IS NULL OR claimed_until < @now)",
      ),
    };
  }

  async insert(record: DsrRecord): Promise<boolean> {
    return this.statements.insert.run(record.id, record.status, JSON.stringify(record), record.resultsToken ?? null).changes === 1;
  }

  async save(record: DsrRecord): Promise<void> {
    this.statements.update.run(record.status, JSON.stringify(record), record.resultsToken ?? null, record.id);
  }

  async get(id: string): Promise<DsrRecord | undefined> {
    return parsed(this.statements.get.get(id));
  }

  async byResultsToken(token: string): Promise<DsrRecord | undefined> {
    return parsed(this.statements.byToken.get(token));
  }

  async unfinished(): Promise<DsrRecord[]> {
    return (this.statements.unfinished.all() as Array<{ record: string }>).map((r) => JSON.parse(r.record) as DsrRecord);
  }

  async claim(id: string, owner: string, leaseMs: number): Promise<DsrRecord | undefined> {
    const now = Date.now();
    return parsed(this.statements.claim.get({ id, owner, until: now + leaseMs, now }));
  }

  async release(id: string, owner: string): Promise<void> {
    this.statements.release.run(id, owner);
  }

  async cancel(record: DsrRecord): Promise<boolean> {
    return this.statements.cancel.run({ id: record.id, record: JSON.stringify({ ...record, status: 'cancelled' }), now: Date.now() }).changes === 1;
  }

  // The export's file in the storage dir is the only copy.
  async shareResults(): Promise<void> {}

  async sharedResults(): Promise<Buffer | undefined> {
    return undefined;
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

function parsed(row: unknown): DsrRecord | undefined {
  return row ? (JSON.parse((row as { record: string }).record) as DsrRecord) : undefined;
}
