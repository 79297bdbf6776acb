/** The admin API's audience-sync answers, as the CLI reads them (GET/POST /admin/v1/audience-syncs…). */

export type SyncRunKind = 'backfill' | 'reconcile' | 'changes';

export interface SyncRun {
  id: string;
  kind: SyncRunKind;
  status: 'running' | 'succeeded' | 'failed';
  startedAt: string;
  finishedAt: string | null;
  /** Members to process, when known (backfill, reconcile). */
  total: number | null;
  processed: number;
  added: number;
  removed: number;
  unmatched: number;
  failed: number;
  errors: Array<{ at: string; code: string; message: string }>;
}

export interface SyncStatus {
  audience: string;
  connection: string;
  mode: 'add-remove' | 'add-only' | 'mirror';
  as: 'audience' | 'track' | 'identify';
  every: string | null;
  state: 'backfilling' | 'reconciling' | 'live';
  members: number;
  current: SyncRun | null;
  lastRun: SyncRun | null;
}
