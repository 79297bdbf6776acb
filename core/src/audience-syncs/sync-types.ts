/** What a sync sends: adds and removals (the default), or adds only. */
export type SyncMode = 'add-remove' | 'add-only';

/** One audience sync as configured (an entry of an audience's `syncs`), resolved. */
export interface AudienceSyncConfig {
  audience: string;
  connection: string;
  mode: SyncMode;
  /** The sync's own settings, checked against the connector's `audience.syncSettings` (defaults filled in). */
  settings: Record<string, unknown>;
}
