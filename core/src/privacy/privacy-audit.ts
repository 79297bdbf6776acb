import type Database from 'better-sqlite3';

/** Privacy decisions, counted per source and connection, for the admin API and metrics. */
export type PrivacyDecision = 'suppressed' | 'erased' | 'ip_stripped' | `blocked:${string}`;

export interface PrivacyAuditRow {
  sourceId: string;
  connectionId: string;
  decision: string;
  count: number;
}

/**
 * Counts are kept in memory on the hot path and added to SQLite by `flush()` (on a timer and at shutdown),
 * so they survive restarts without a write per event.
 */
export class PrivacyAudit {
  private pending = new Map<string, PrivacyAuditRow>();
  private readonly upsert;

  constructor(private readonly db: Database.Database) {
    db.exec(`CREATE TABLE IF NOT EXISTS privacy_audit (
      source_id TEXT NOT NULL, connection_id TEXT NOT NULL, decision TEXT NOT NULL, count INTEGER NOT NULL,
      PRIMARY KEY (source_id, connection_id, decision)
    )`);
    this.upsert = db.prepare(`INSERT INTO privacy_audit (source_id, connection_id, decision, count) VALUES (?, ?, ?, ?)
      ON CONFLICT DO UPDATE SET count = count + excluded.count`);
  }

  record(decision: PrivacyDecision, where: { sourceId?: string; connectionId?: string }, count = 1): void {
    const row = { sourceId: where.sourceId ?? '', connectionId: where.connectionId ?? '', decision, count: 0 };
    const key = `${row.sourceId}\0${row.connectionId}\0${decision}`;
    const current = this.pending.get(key) ?? row;
    current.count += count;
    this.pending.set(key, current);
  }

  flush(): void {
    if (this.pending.size === 0) return;
    const rows = [...this.pending.values()];
    this.pending = new Map();
    this.db.transaction(() => {
      for (const r of rows) this.upsert.run(r.sourceId, r.connectionId, r.decision, r.count);
    })();
  }

  rows(filter: { sourceId?: string; connectionId?: string } = {}): PrivacyAuditRow[] {
    this.flush();
    const rows = this.db
      .prepare('SELECT source_id, connection_id, decision, count FROM privacy_audit ORDER BY source_id, connection_id, decision')
      .all() as Array<{ source_id: string; connection_id: string; decision: string; count: number }>;
    return rows
      .map((r) => ({ sourceId: r.source_id, connectionId: r.connection_id, decision: r.decision, count: r.count }))
      .filter((r) => (!filter.sourceId || r.sourceId === filter.sourceId) && (!filter.connectionId || r.connectionId === filter.connectionId));
  }
}
