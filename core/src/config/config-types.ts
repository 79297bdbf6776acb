import type { Mapping } from '@switchyard/sdk-kit';
import type { DeliveryOverrides } from '../delivery/delivery-options.js';
import type { DsrConfig } from '../dsr/dsr-services.js';
import type { ConnectionConsentRule, PrivacyConfig } from '../privacy/privacy-config.js';

/** The configuration file as written by an operator (docs/configuration.md). */
export interface SwitchyardConfig {
  server?: { host?: string; port?: number; publicUrl?: string; trustProxy?: boolean };
  storage?: { dir?: string };
  logging?: { level?: string };
  /** Deployment-wide data residency, e.g. `eu`: every connection must send only to endpoints in that region. */
  residency?: string;
  ingestion?: IngestionConfig;
  privacy?: Partial<PrivacyConfig>;
  admin?: { tokens?: string[] };
  dsr?: DsrConfig;
  enrichment?: { location?: { enabled?: boolean; maxmindDatabase?: string } };
  dataPlans?: DataPlanConfig[];
  sources: SourceConfig[];
  connections?: ConnectionConfig[];
}

export interface IngestionConfig {
  /** Duplicate messageIds seen within this window are dropped (default 24 h). */
  dedupeWindowSeconds?: number;
  /** How many messageIds the dedupe window remembers at most (default 1,000,000). */
  dedupeCapacity?: number;
}

export type SourceConfig = SegmentSourceConfig | MparticleSourceConfig;

interface SourceCommon {
  id: string;
  /** COPPA: `false` removes the IP from every event of this source before it is stored or forwarded. */
  ipCollection?: boolean;
  /** Id of a data plan under `dataPlans` that validates this source's events. */
  dataPlan?: string;
}

export interface SegmentSourceConfig extends SourceCommon {
  type: 'segment';
  writeKey: string;
}

export interface MparticleSourceConfig extends SourceCommon {
  type: 'mparticle';
  apiKey: string;
  apiSecret: string;
}

export interface DataPlanConfig {
  id: string;
  /** Plan version; an mParticle batch naming `context.data_plan.plan_version` picks the matching one. */
  version?: number;
  /** Path to the plan document (mParticle data plan JSON), relative to the config file… */
  file?: string;
  /** …or the document inline. */
  document?: unknown;
  block?: { unplannedEvents?: boolean; unplannedEventAttributes?: boolean; unplannedUserAttributes?: boolean };
  /** Connection that receives the original event plus what was blocked. */
  quarantine?: string;
}

export interface ConnectionConfig {
  id: string;
  /** Built-in short name (`webhook`), npm package name, or path relative to the config file. */
  connector: string;
  /** Sources whose events this connection receives (default: all). */
  sources?: string[];
  enabled?: boolean;
  settings?: Record<string, unknown>;
  /** Only these actions run (default: all of the connector's actions). */
  actions?: string[];
  /** Per action, per field mapping overrides (docs/mapping.md). */
  mapping?: Record<string, Record<string, Mapping>>;
  delivery?: DeliveryOverrides;
  consent?: ConnectionConsentRule;
  /**
   * Declared egress host → base URL its requests go to instead: a vendor's sandbox, or a loopback contract
   * server in tests. The connector's egress list is still enforced on the declared host.
   */
  endpointOverrides?: Record<string, string>;
  /** Enrichment connections: how long ingestion waits for a lookup, and its cache. */
  enrichment?: { timeoutMs?: number; cacheTtlSeconds?: number; cacheSize?: number };
}
