import type { SourceConfig } from './config-types.js';

/** A configured source with its defaults filled in. */
export type ResolvedSource = SourceConfig & { ipCollection: boolean };
