import type { Static } from '@sinclair/typebox';
import type { CONFIG_SCHEMA } from './config-schema.js';
import type { AUDIENCE_SCHEMA } from './schema/audiences.js';
import type { CONNECTION_SCHEMA } from './schema/connections.js';
import type { DATA_PLAN_SCHEMA } from './schema/data-plans.js';
import type { DELIVERY_OVERRIDES_SCHEMA } from './schema/delivery.js';
import type { DSR_CONFIG_SCHEMA } from './schema/dsr.js';
import type { IDENTITY_SCHEMA } from './schema/identity.js';
import type { QUEUE_SCHEMA } from './schema/queue.js';
import type { INGESTION_SCHEMA } from './schema/server.js';
import type { CONNECTION_CONSENT_SCHEMA, MISSING_CONSENT_POLICY_SCHEMA, PRIVACY_CONFIG_SCHEMA, PURPOSE_SCHEMA } from './schema/privacy.js';
import type { PRIVACY_PAGES_SCHEMA } from './schema/privacy-pages.js';
import type { STATE_SCHEMA } from './schema/state.js';
import type { MPARTICLE_SOURCE_SCHEMA, SEGMENT_SOURCE_SCHEMA, SOURCE_SCHEMA } from './schema/sources.js';

/** The configuration file as written by an operator (docs/configuration.md). */
export type SwitchyardConfig = Static<typeof CONFIG_SCHEMA>;
export type IngestionConfig = Static<typeof INGESTION_SCHEMA>;
export type SourceConfig = Static<typeof SOURCE_SCHEMA>;
export type SegmentSourceConfig = Static<typeof SEGMENT_SOURCE_SCHEMA>;
export type MparticleSourceConfig = Static<typeof MPARTICLE_SOURCE_SCHEMA>;
export type DataPlanConfig = Static<typeof DATA_PLAN_SCHEMA>;
export type ConnectionConfig = Static<typeof CONNECTION_SCHEMA>;
export type { ConnectionFilterConfig } from './schema/filters.js';
export type AudienceConfig = Static<typeof AUDIENCE_SCHEMA>;
export type DeliveryOverrides = Static<typeof DELIVERY_OVERRIDES_SCHEMA>;
export type ConnectionConsentRule = Static<typeof CONNECTION_CONSENT_SCHEMA>;
export type DsrConfig = Static<typeof DSR_CONFIG_SCHEMA>;
export type PrivacyPagesConfig = Static<typeof PRIVACY_PAGES_SCHEMA>;
export type IdentityConfig = Static<typeof IDENTITY_SCHEMA>;
export type QueueConfig = Static<typeof QUEUE_SCHEMA>;
export type StateConfig = Static<typeof STATE_SCHEMA>;
/** The `state` section with its defaults filled in. */
export type SharedStateConfig = { type: 'sqlite' } | { type: 'postgres'; url: string; schema: string };
export type PurposeConfig = Static<typeof PURPOSE_SCHEMA>;
export type MissingConsentPolicy = Static<typeof MISSING_CONSENT_POLICY_SCHEMA>;

/** The `privacy` section as written: every key optional. */
export type PrivacySection = Static<typeof PRIVACY_CONFIG_SCHEMA>;
/** The `privacy` section with every default filled in (resolvePrivacyConfig): what the privacy gate reads. */
export type PrivacyConfig = { [K in keyof PrivacySection]-?: Required<NonNullable<PrivacySection[K]>> };
