import type { Static, TSchema } from '@sinclair/typebox';
import type { Got } from 'got';
import type { Logger } from 'pino';
import type { Mapping } from './mapping/index.js';
import type { CanonicalEvent, EventType, ItemResult, SubjectIdentity, SubjectRecord } from './types.js';

export type ConnectorCategory = 'warehouse' | 'email' | 'advertising' | 'enrichment' | 'analytics' | 'webhook' | 'storage' | 'crm';

/** The sdk-kit contract version a connector is built against; the router refuses incompatible majors. */
export const CONTRACT_VERSION = 1;

/** What every piece of connector code is handed (actions, batches, deletion, export, enrichment). */
export interface BaseContext<Settings> {
  /** This connection's settings only: a connector never sees another connection's. */
  settings: Settings;
  connectionId: string;
  /** got with timeouts set, retries off (the runtime retries), and requests outside `egress` refused. */
  http: Got;
  /** pino child logger; secret settings are scrubbed from every line. */
  log: Logger;
  /** Aborted when the runtime gives up on this task (timeout, shutdown). */
  signal: AbortSignal;
  /** A directory of this connection's own under the storage dir, for connectors that keep local files. */
  dataDir: string;
}

export interface PerformContext<Settings, Payload> extends BaseContext<Settings> {
  payload: Payload;
  event: CanonicalEvent;
  /** The event's messageId: send it as the destination's idempotency key where it has one. */
  messageId: string;
}

export interface BatchItem<Payload> {
  payload: Payload;
  event: CanonicalEvent;
  messageId: string;
}

export interface PerformBatchContext<Settings, Payload> extends BaseContext<Settings> {
  items: BatchItem<Payload>[];
}

export interface DeleteContext<Settings> extends BaseContext<Settings> {
  user: SubjectIdentity;
}

export interface ExportContext<Settings> extends BaseContext<Settings> {
  user: SubjectIdentity;
}

export interface BatchLimits {
  maxItems: number;
  maxBytes?: number;
  maxWaitMs?: number;
}

/**
 * Per-item results of a batch, in the order of `ctx.items`. An item may be `undefined` or `{status:'ok'}`
 * for success; throwing from performBatch fails every item with the thrown error's classification.
 */
export type BatchResult = Array<ItemResult | undefined>;

export interface ActionDefinition<Settings, PayloadSchema extends TSchema> {
  title?: string;
  description?: string;
  /** Which events this action takes: event types, optionally narrowed by a predicate. */
  subscribe: { types: EventType[] | 'all'; where?: (event: CanonicalEvent) => boolean };
  /** The payload's JSON Schema; `Static<typeof fields>` is the `ctx.payload` type. */
  fields: PayloadSchema;
  /** How event fields map into the payload by default; operators can override any field. */
  defaultMapping: { [K in keyof Static<PayloadSchema>]?: Mapping } & Record<string, Mapping>;
  perform(ctx: PerformContext<Settings, Static<PayloadSchema>>): Promise<unknown> | unknown;
  performBatch?(ctx: PerformBatchContext<Settings, Static<PayloadSchema>>): Promise<BatchResult | void> | BatchResult | void;
  batch?: BatchLimits;
  /** When performBatch is defined, whether to use it for these settings (default: always). */
  batchWhen?(settings: Settings): boolean;
}

export interface EnrichContext<Settings> extends BaseContext<Settings> {
  event: CanonicalEvent;
}

/**
 * An enrichment connector adds data to events before fan-out, so every connection sees it. The router
 * caches results by `cacheKey`, bounds each lookup with a timeout and a circuit breaker, and lets events
 * through unenriched when the provider is slow or down.
 */
export interface EnrichmentDefinition<Settings> {
  subscribe: { types: EventType[] | 'all'; where?: (event: CanonicalEvent) => boolean };
  /** Dot path in the event where the result goes, e.g. `context.place`. */
  target: string;
  /** Events with the same key share one lookup; undefined means this event cannot be enriched. */
  cacheKey(event: CanonicalEvent, settings: Settings): string | undefined;
  /** Returns what to add, or undefined when the provider knows nothing. */
  lookup(ctx: EnrichContext<Settings>): Promise<Record<string, unknown> | undefined>;
}

/** One person of an audience sync call. */
export interface AudienceMember {
  messageId: string;
  /** The person the router resolved the change to. */
  profileId?: string;
  /**
   * Only the identifier types the connector accepts that this person has, normalised (`normalizeAudienceIdentifier`),
   * in the connector's preference order. Never empty: members without one are answered UNMATCHED before the call.
   */
  identifiers: Record<string, string>;
  /** The `type: 'audience'` event the change arrived in. */
  event: CanonicalEvent;
}

export interface AudienceSyncContext<Settings, Sync> extends BaseContext<Settings> {
  audience: { key: string; name?: string };
  action: 'add' | 'remove';
  /** The sync's settings, validated against `syncSettings` with its defaults filled in. */
  sync: Sync;
  /** At most `maxMembersPerCall`, all for the same audience, action and sync settings. */
  members: AudienceMember[];
}

/** What `listMembers` is handed: one sync's destination audience, and where the previous page ended. */
export interface AudienceListContext<Settings, Sync> extends BaseContext<Settings> {
  audience: { key: string; name?: string };
  /** The sync's settings, validated against `syncSettings` with its defaults filled in. */
  sync: Sync;
  /** The `next` of the previous page; absent for the first. */
  cursor?: string;
}

/** One page of the people a destination audience holds, by the identifiers the destination keeps (normalised as `identifiers` names them). */
export interface AudienceMemberPage {
  members: Array<{ identifiers: Record<string, string> }>;
  /** Pass back as `cursor` for the next page; absent on the last page. */
  next?: string;
  /** How many the destination holds, when it says. */
  total?: number;
}

/** A sync's settings as connector code sees them: typed from `syncSettings`, a plain object without one. */
export type SyncSettingsOf<SyncSchema extends TSchema> = unknown extends Static<SyncSchema> ? Record<string, unknown> : Static<SyncSchema>;

/**
 * A destination that keeps audiences: the router sends each membership change as a `type: 'audience'` event, and
 * the runtime calls `sync` with the changes grouped by audience, action and sync settings.
 */
export interface AudienceDefinition<Settings, SyncSchema extends TSchema = TSchema> {
  /**
   * The identifier types the destination matches people on, in preference order (`email`, `phone`, `ios_idfa`,
   * `android_aaid`, `user_id`, `profile_id`, …), `'all'` for every identifier the person has, or a function of the
   * connection's and the sync's settings.
   */
  identifiers: readonly string[] | 'all' | ((settings: Settings, sync: SyncSettingsOf<SyncSchema>) => readonly string[] | 'all');
  /** Most members in one `sync` call: the vendor's documented batch limit. */
  maxMembersPerCall: number;
  /** True when the destination uses the memberships for ad targeting (advertising consent applies). */
  advertising?: boolean;
  /** JSON Schema of each sync's own settings (the destination list or audience id…). */
  syncSettings?: SyncSchema;
  /** Returns one result per member, in the order of `ctx.members`, as performBatch does; throwing fails them all. */
  sync(ctx: AudienceSyncContext<Settings, SyncSettingsOf<SyncSchema>>): Promise<BatchResult | void> | BatchResult | void;
  /**
   * Lists who the destination audience holds, one page at a time: lets `mirror` syncs reconcile (remove what should
   * not be there, add what is missing). Syncs of a connector without it cannot use `mode: mirror`.
   */
  listMembers?(ctx: AudienceListContext<Settings, SyncSettingsOf<SyncSchema>>): Promise<AudienceMemberPage> | AudienceMemberPage;
}

export interface ConnectorDefinition<
  SettingsSchema extends TSchema = TSchema,
  Actions extends Record<string, TSchema> = Record<string, TSchema>,
  SyncSchema extends TSchema = TSchema,
> {
  name: string;
  version: string;
  category: ConnectorCategory;
  description?: string;
  /** JSON Schema of the connection settings; mark secret fields with `secret: true`. */
  settings: SettingsSchema;
  /** Hosts this connector may call (`api.example.com`, `*.example.com`), or a function of the settings. */
  egress: readonly string[] | ((settings: Static<SettingsSchema>) => readonly string[]);
  /** Regions the endpoints are in (e.g. `us`, `eu`); used by data-residency checks. */
  regions?: readonly string[] | ((settings: Static<SettingsSchema>) => readonly string[]);
  actions: { [K in keyof Actions]: ActionDefinition<Static<SettingsSchema>, Actions[K]> };
  /** For `enrichment` connectors: what they add to events before fan-out. */
  enrichment?: EnrichmentDefinition<Static<SettingsSchema>>;
  /** For destinations that keep audiences: how membership changes are synced. */
  audience?: AudienceDefinition<Static<SettingsSchema>, SyncSchema>;
  /** Forwards a data-subject erasure to the destination. */
  onDelete?(ctx: DeleteContext<Static<SettingsSchema>>): Promise<void> | void;
  /** Reads back what the destination holds about a data subject, for access and portability requests. */
  onExport?(ctx: ExportContext<Static<SettingsSchema>>): Promise<SubjectRecord[]> | SubjectRecord[];
  /**
   * `per-user`: one user's events (by userId, else anonymousId) reach the destination in the order they were
   * queued, for APIs where a later event overwrites an earlier one. Without it a connection's events overlap freely.
   */
  ordering?: 'per-user';
  /** Defaults for the connection's delivery limits, set from the vendor's documented rate limits. */
  defaults?: { ratePerSecond?: number; maxConcurrency?: number; requestTimeoutMs?: number; maxWorkers?: number };
  /** The sdk-kit contract this connector is built against. Filled in by defineConnector. */
  contractVersion?: number;
}

/** Declares a connector. Settings and payload types are inferred from their schemas. */
export function defineConnector<S extends TSchema, A extends Record<string, TSchema>, Y extends TSchema = TSchema>(
  definition: ConnectorDefinition<S, A, Y>,
): ConnectorDefinition<S, A, Y> {
  return { ...definition, contractVersion: CONTRACT_VERSION };
}

/** Erases a connector's generic parameters for code that handles any connector. */
export type AnyConnector = ConnectorDefinition<TSchema, Record<string, TSchema>>;
// Any connector's action, whatever its settings type (the runtime passes settings it validated itself).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyAction = ActionDefinition<any, TSchema>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyAudience = AudienceDefinition<any, TSchema>;
