/**
 * What a sync sends: adds and removals (the default), adds only, or adds and removals with a periodic full
 * reconciliation against what the destination holds (`mirror`).
 */
export type SyncMode = 'add-remove' | 'add-only' | 'mirror';

/** One audience sync as configured (an entry of an audience's `syncs`), resolved. */
export interface AudienceSyncConfig {
  audience: string;
  connection: string;
  mode: SyncMode;
  /** mirror only: the reconciliation period as configured ("1h") and in milliseconds. */
  every?: { text: string; ms: number };
  /**
   * How changes are delivered: `audience` events (connectors with an audience sync), `track` events `Audience
   * Entered` / `Audience Exited`, or an `identify` with the trait `{<audience key>: true|false}`.
   */
  as: 'audience' | 'track' | 'identify';
  /** The sync's own settings, checked against the connector's `audience.syncSettings` (defaults filled in). */
  settings: Record<string, unknown>;
}

/** One delivery a sync queued: an add or a removal (for event destinations, an entered or exited event). */
export interface QueuedSyncChange {
  messageId: string;
  action: 'add' | 'remove';
  profileId?: string;
}

/** Told of every delivery a sync queues, so that the run it belongs to counts its outcome. */
export interface SyncChangeRecorder {
  /** `runId` is the backfill or reconciliation the changes belong to; absent for live changes. */
  queued(sync: AudienceSyncConfig, changes: readonly QueuedSyncChange[], runId?: string): void;
}
