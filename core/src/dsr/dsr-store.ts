import type Database from 'better-sqlite3';
import type { DsrRecord } from './dsr-types.js';

/** Data-subject requests, persisted so a restart resumes the ones not yet completed. */
export class DsrStore {
  private readonly statements;

  constructor(db: Database.Database) {
    db.exec(`CREATE TABLE IF NOT EXISTS dsr_requests (
      id TEXT PRIMARY KEY, status TEXT NOT NULL, record TEXT NOT NULL, results_token TEXT UNIQUE
    )`);
    this.statements = {
      insert: db.prepare('INSERT INTO dsr_requests (id, status, record, results_token) VALUES (?, ?, ?, ?)'),
      update: db.prepare('UPDATE dsr_requests SET status = ?, record = ?, results_token = ? WHERE id = ?'),
      get: db.prepare('SELECT record FROM dsr_requests WHERE id = ?'),
      byToken: db.prepare('SELECT record FROM dsr_requests WHERE results_token = ?'),
      unfinished: db.prepare("SELECT record FROM dsr_requests WHERE status IN ('pending', 'in_progress')"),
    };
  }

  insert(record: DsrRecord): void {
    this.statements.insert.run(record.id, record.status, JSON.stringify(record), record.resultsToken ?? null);
  }

  save(record: DsrRecord): void {
    this.statements.update.run(record.status, JSON.stringify(record), record.resultsToken ?? null, record.id);
  }

  get(id: string): DsrRecord | undefined {
    const row = this.statements.get.get(id) as { record: string } | undefined;
    return row ? (JSON.parse(row.record) as DsrRecord) : undefined;
  }

  byResultsToken(token: string): DsrRecord | undefined {
    const row = this.statements.byToken.get(token) as { record: string } | undefined;
    return row ? (JSON.parse(row.record) as DsrRecord) : undefined;
  }

  unfinished(): DsrRecord[] {
    return (this.statements.unfinished.all() as Array<{ record: string }>).map((r) => JSON.parse(r.record) as DsrRecord);
  }
}
