import { Type } from '@sinclair/typebox';
import { closed } from './common.js';

/**
 * Where the router's shared state is kept: the embedded SQLite files in the storage dir (default), or PostgreSQL,
 * which several routers share: the identity graph, and the privacy changes (suppressions, consent, erasures,
 * rectifications) every router applies within a bound (docs/deployment.md).
 */
export const STATE_SCHEMA = Type.Union([
  Type.Object({ type: Type.Literal('sqlite') }, closed),
  Type.Object(
    {
      type: Type.Literal('postgres'),
      /** A libpq connection URL, e.g. postgres://user@host:5432/db; `${ENV}` references keep a password out of the file. */
      url: Type.String({ minLength: 1 }),
      /** Schema the tables live in (default `switchyard`), so several deployments (and test runs) can share one server. */
      schema: Type.Optional(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]{0,62}$' })),
    },
    closed,
  ),
]);
