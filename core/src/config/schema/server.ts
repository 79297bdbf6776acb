import { Type } from '@sinclair/typebox';
import { closed, NonEmptyString, PositiveInt, StringEnum } from './common.js';

export const SERVER_SCHEMA = Type.Object(
  {
    host: Type.Optional(NonEmptyString),
    port: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
    publicUrl: Type.Optional(Type.String({ format: 'uri' })),
    trustProxy: Type.Optional(Type.Boolean()),
    /** When set, `GET /metrics` asks for `Authorization: Bearer <token>` (an admin token also works). */
    metricsToken: Type.Optional(Type.String({ minLength: 16 })),
  },
  closed,
);

export const STORAGE_SCHEMA = Type.Object({ dir: Type.Optional(NonEmptyString) }, closed);

export const LOGGING_SCHEMA = Type.Object(
  {
    level: Type.Optional(StringEnum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])),
  },
  closed,
);

/** Deployment-wide data residency, e.g. `eu`: every connection must send only to endpoints in that region. */
export const RESIDENCY_SCHEMA = Type.String({ pattern: '^[a-z]{2,12}$' });

export const INGESTION_SCHEMA = Type.Object(
  {
    /** Duplicate messageIds seen within this window are dropped (default 24 h). */
    dedupeWindowSeconds: Type.Optional(Type.Integer({ minimum: 0 })),
    /** How many messageIds the dedupe window remembers at most (default 1,000,000). */
    dedupeCapacity: Type.Optional(PositiveInt),
  },
  closed,
);

export const ADMIN_SCHEMA = Type.Object(
  {
    tokens: Type.Optional(Type.Array(Type.String({ minLength: 16 }))),
  },
  closed,
);
