import { Type } from '@sinclair/typebox';
import { CONDITION_SCHEMA } from '../rules/condition-schema.js';
import { AUDIENCE_RULE_SCHEMA, AUDIENCE_SCHEMA } from './schema/audiences.js';
import { CONNECTION_SCHEMA } from './schema/connections.js';
import { DATA_PLAN_SCHEMA } from './schema/data-plans.js';
import { DSR_CONFIG_SCHEMA } from './schema/dsr.js';
import { ENRICHMENT_SCHEMA } from './schema/enrichment.js';
import { IDENTITY_SCHEMA } from './schema/identity.js';
import { PRIVACY_CONFIG_SCHEMA } from './schema/privacy.js';
import { PRIVACY_PAGES_SCHEMA } from './schema/privacy-pages.js';
import { QUEUE_SCHEMA } from './schema/queue.js';
import { ADMIN_SCHEMA, INGESTION_SCHEMA, LOGGING_SCHEMA, RESIDENCY_SCHEMA, SERVER_SCHEMA, STORAGE_SCHEMA } from './schema/server.js';
import { SOURCE_SCHEMA } from './schema/sources.js';
import { STATE_SCHEMA } from './schema/state.js';

/**
 * The published JSON Schema of the configuration file (`switchyard config-schema` prints it), and through
 * `Static<>` its TypeScript types (config-types.ts). Connector settings are checked afterwards against each
 * connector's own schema.
 */
export const CONFIG_SCHEMA = Type.Object(
  {
    server: Type.Optional(SERVER_SCHEMA),
    storage: Type.Optional(STORAGE_SCHEMA),
    queue: Type.Optional(QUEUE_SCHEMA),
    state: Type.Optional(STATE_SCHEMA),
    logging: Type.Optional(LOGGING_SCHEMA),
    residency: Type.Optional(RESIDENCY_SCHEMA),
    ingestion: Type.Optional(INGESTION_SCHEMA),
    identity: Type.Optional(IDENTITY_SCHEMA),
    privacy: Type.Optional(PRIVACY_CONFIG_SCHEMA),
    admin: Type.Optional(ADMIN_SCHEMA),
    dsr: Type.Optional(DSR_CONFIG_SCHEMA),
    privacyPages: Type.Optional(PRIVACY_PAGES_SCHEMA),
    enrichment: Type.Optional(ENRICHMENT_SCHEMA),
    dataPlans: Type.Optional(Type.Array(DATA_PLAN_SCHEMA)),
    sources: Type.Array(SOURCE_SCHEMA, { minItems: 1 }),
    connections: Type.Optional(Type.Array(CONNECTION_SCHEMA)),
    audiences: Type.Optional(Type.Array(AUDIENCE_SCHEMA)),
  },
  {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://switchyard.dev/schemas/config.json',
    title: 'Switchyard configuration',
    additionalProperties: false,
    // Conditions nest, so the schema is held once and referred to (CONDITION_REF) wherever one goes; audience rules likewise.
    definitions: { condition: CONDITION_SCHEMA, audienceRule: AUDIENCE_RULE_SCHEMA },
  },
);
