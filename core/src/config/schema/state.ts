import { SqliteOrPostgres } from './common.js';

/**
 * Where the router's shared state is kept: the embedded SQLite files in the storage dir (default), or PostgreSQL,
 * which several routers share: the identity graph, and the privacy changes (suppressions, consent, erasures,
 * rectifications) every router applies within a bound (docs/deployment.md).
 */
export const STATE_SCHEMA = SqliteOrPostgres; // schema defaults to `switchyard`
