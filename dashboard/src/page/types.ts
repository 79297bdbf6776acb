/** The admin API's answers, as far as the page reads them (core/src/admin, core/src/dsr). */

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface ConnectionReadout {
  delivered: number;
  retried: number;
  rateLimited: number;
  deadLettered: number;
  dropped: number;
  inFlight: number;
  queued: number;
  health: string;
  healthReason?: string;
  breaker: BreakerState;
}

export interface SourceCounts {
  received: number;
  accepted: number;
  rejected: number;
}

export interface ConnectionCounts {
  delivered: number;
  retried: number;
  deadLettered: number;
  dropped: number;
  queued: number;
  breaker: BreakerState;
}

export interface ThroughputSample {
  at: string;
  sources: Record<string, SourceCounts>;
  connections: Record<string, ConnectionCounts>;
}

export interface Throughput {
  intervalMs: number;
  windowMs: number;
  samples: ThroughputSample[];
}

export interface DeadLetter {
  id: number;
  connectionId: string;
  messageId: string;
  attempts: number;
  enqueuedAt: number;
  deadAt: number;
  error: { status: string; code?: string; message?: string; httpStatus?: number };
  event: { type?: string; event?: string | null; [field: string]: unknown };
}

export interface TraceStep {
  at: string;
  stage: string;
  connection?: string;
  outcome: string;
  reason?: string;
}

export interface EventTrace {
  messageId: string;
  sourceId: string;
  steps: TraceStep[];
}

export interface Suppression {
  id: string;
  identity_type: string;
  identity_value: string;
  reason?: string;
  created_at: string;
}

export interface DsrStatus {
  subject_request_id: string;
  request_status: string;
  expected_completion_time: string;
  results_url?: string;
  results_count?: number;
  extensions?: Record<string, { connections?: Record<string, { status: string; error?: string; records?: number }>; next_attempt_at?: string }>;
}

export interface Profile {
  profile_id: string;
  created_at: string;
  merged_profiles: string[];
  identifiers: Array<{ type: string; value: string; linked_at: string }>;
  traits: Record<string, unknown>;
  consent: { purposes: Record<string, unknown>; [field: string]: unknown };
}

/** One backfill, reconciliation or batch of live changes of an audience sync (core/src/admin, audience-syncs). */
export interface SyncRun {
  id: string;
  kind: 'backfill' | 'reconcile' | 'changes';
  status: 'running' | 'succeeded' | 'failed';
  startedAt: string;
  finishedAt: string | null;
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
