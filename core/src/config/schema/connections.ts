import { Type } from '@sinclair/typebox';
import type { Mapping } from '@switchyard/sdk-kit';
import { AnyObject, closed, Id, NonEmptyString } from './common.js';
import { DELIVERY_OVERRIDES_SCHEMA } from './delivery.js';
import { CONNECTION_ENRICHMENT_SCHEMA } from './enrichment.js';
import { FILTER_SCHEMA } from './filters.js';
import { CONNECTION_CONSENT_SCHEMA } from './privacy.js';

/** One entry of `connections`: a configured connector instance. Its settings are checked against the connector's own schema. */
export const CONNECTION_SCHEMA = Type.Object(
  {
    id: Id,
    /** Built-in short name (`webhook`), npm package name, or path relative to the config file. */
    connector: NonEmptyString,
    /** Sources whose events this connection receives (default: all). */
    sources: Type.Optional(Type.Array(Id, { minItems: 1 })),
    enabled: Type.Optional(Type.Boolean()),
    settings: Type.Optional(AnyObject()),
    /** Only these actions run (default: all of the connector's actions). */
    actions: Type.Optional(Type.Array(Type.String(), { minItems: 1 })),
    /** Per action, per field mapping overrides (docs/mapping.md); each mapping is validated by sdk-kit. */
    mapping: Type.Optional(Type.Unsafe<Record<string, Record<string, Mapping>>>({ type: 'object', additionalProperties: { type: 'object' } })),
    delivery: Type.Optional(DELIVERY_OVERRIDES_SCHEMA),
    consent: Type.Optional(CONNECTION_CONSENT_SCHEMA),
    /**
     * Declared egress host → base URL its requests go to instead: a vendor's sandbox, or a loopback contract
     * server in tests. The connector's egress list is still enforced on the declared host.
     */
    endpointOverrides: Type.Optional(
      Type.Unsafe<Record<string, string>>({
        type: 'object',
        propertyNames: { pattern: '^[A-Za-z0-9.-]+(:[0-9]+)?$' },
        additionalProperties: { type: 'string', format: 'uri', pattern: '^https?://' },
      }),
    ),
    enrichment: Type.Optional(CONNECTION_ENRICHMENT_SCHEMA),
    /** Applied in order to what this connection receives: drop, sample, dropFields, keepFields (docs/filters.md). */
    filters: Type.Optional(Type.Array(FILTER_SCHEMA, { maxItems: 100 })),
  },
  closed,
);
