/** What a sync sends: adds and removals (the default), or adds only. */
export type SyncMode = 'add-remove' | 'add-only';

/** One audience sync as configured (an entry of an audience's `syncs`), resolved. */
export interface AudienceSyncConfig {
  audience: string;
  connection: string;
  mode: SyncMode;
  /**
   * How changes are delivered: `audience` events (connectors with an audience sync), `track` events `Audience
   * Entered` / `Audience Exited`, or an `identify` with the trait `{<audience key>: true|false}`.
   */
  as: 'audience' | 'track' | 'identify';
  /** The sync's own settings, checked against the connector's `audience.syncSettings` (defaults filled in). */
  settings: Record<string, unknown>;
}
