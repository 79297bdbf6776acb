import type Database from 'better-sqlite3';

/** Privacy decisions, counted per source and connection, for the admin API and metrics. */
export type PrivacyDecision = 'suppressed' | 'erased' | 'ip_stripped' | `blocked:${string}`;

export interface PrivacyAuditRow {
  sourceId: string;
  connectionId: string;
  decision: string;
  count: number;
}

/** Counters every router adds to (shared state); see postgres-audit-counts.ts. */
export interface SharedAuditCounts {
  add(rows: readonly PrivacyAuditRow[]): Promise<void>;
  rows(filter: { sourceId?: string; connectionId?: string }): Promise<PrivacyAuditRow[]>;
}

/**
 * Counts are kept in memory on the hot path and added to SQLite by `flush()` (on a timer and at shutdown),
 * so they survive restarts without a write per event.
 */
export class PrivacyAudit {
  private pending = new Map<string, PrivacyAuditRow>();
  /** Counted here, not yet added to the shared counters (kept for the next flush when adding fails). */
  private unshared = new Map<string, PrivacyAuditRow>();
  private shared?: SharedAuditCounts;
  private sharing: Promise<void> = Promise.resolve();
  private readonly upsert;

  constructor(private readonly db: Database.Database) {
    db.exec(`CREATE TABLE IF NOT EXISTS privacy_audit (
      source_id TEXT NOT NULL, connection_id TEXT NOT NULL, decision TEXT NOT NULL, count INTEGER NOT NULL,
      PRIMARY KEY (source_id, connection_id, decision)
    )`);
    this.upsert = db.prepare(`INSERT INTO privacy_audit (source_id, connection_id, decision, count) VALUES (?, ?, ?, ?)
      ON CONFLICT DO UPDATE SET count = count + excluded.count`);
  }

  /** With shared state: every flush also adds the counts to the counters all routers share. */
  shareWith(counts: SharedAuditCounts): void {
    this.shared = counts;
  }

  record(decision: PrivacyDecision, where: { sourceId?: string; connectionId?: string }, count = 1): void {
    const row = { sourceId: where.sourceId ?? '', connectionId: where.connectionId ?? '', decision, count: 0 };
    addTo(this.pending, row, count);
  }

  flush(): void {
    if (this.pending.size === 0) return;
    const rows = [...this.pending.values()];
    this.pending = new Map();
    this.db.transaction(() => {
      for (const r of rows) this.upsert.run(r.sourceId, r.connectionId, r.decision, r.count);
    })();
    if (this.shared) {
      for (const r of rows) addTo(this.unshared, { ...r, count: 0 }, r.count);
      this.sharing = this.sharing.then(() => this.share());
    }
  }

  private async share(): Promise<void> {
    const rows = [...this.unshared.values()];
    if (!this.shared || rows.length === 0) return;
    this.unshared = new Map();
    try {
      await this.shared.add(rows);
    } catch {
      // Added at the next flush; this router's own counts are stored already.
      for (const r of rows) addTo(this.unshared, { ...r, count: 0 }, r.count);
    }
  }

  /** The counts of every router sharing the state (this router's alone without shared state). */
  async decisions(filter: { sourceId?: string; connectionId?: string } = {}): Promise<PrivacyAuditRow[]> {
    if (!this.shared) return this.rows(filter);
    this.flush();
    await this.sharing;
    return this.shared.rows(filter);
  }

  /** Resolves once every count flushed so far was handed to the shared counters. */
  async sharedSettled(): Promise<void> {
    await this.sharing;
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

function addTo(counts: Map<string, PrivacyAuditRow>, row: PrivacyAuditRow, count: number): void {
  const key = `${row.sourceId}\0${row.connectionId}\0${row.decision}`;
  const current = counts.get(key) ?? row;
  current.count += count;
  counts.set(key, current);
}
