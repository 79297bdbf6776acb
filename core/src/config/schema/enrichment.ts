import { Type } from '@sinclair/typebox';
import { closed, NonEmptyString, PositiveInt } from './common.js';

/** The top-level `enrichment` section: Switchyard's own enrichments. */
export const ENRICHMENT_SCHEMA = Type.Object(
  {
    location: Type.Optional(
      Type.Object(
        {
          enabled: Type.Optional(Type.Boolean()),
          maxmindDatabase: Type.Optional(NonEmptyString),
        },
        closed,
      ),
    ),
  },
  closed,
);

/** `connections[].enrichment` of enrichment connections: how long ingestion waits for a lookup, and its cache. */
export const CONNECTION_ENRICHMENT_SCHEMA = Type.Object(
  {
    timeoutMs: Type.Optional(PositiveInt),
    cacheTtlSeconds: Type.Optional(PositiveInt),
    cacheSize: Type.Optional(PositiveInt),
  },
  closed,
);
