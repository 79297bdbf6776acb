import type { EnrichmentResult, ExportOutcome, HttpExchange, ItemResult, ListMembersOutcome, ListMembersRequest, Mapping } from '@switchyard/sdk-kit';

/** What a connection's worker threads are started with: this connection's settings and nothing else. */
export interface WorkerData {
  connectorModule: string;
  connectionId: string;
  settings: unknown;
  dataDir: string;
  mappingOverrides?: Record<string, Record<string, Mapping>>;
  enabledActions?: string[];
  requestTimeoutMs?: number;
  /** `perform` calls of one task in flight at once. */
  eventConcurrency?: number;
  /** Per-event connections under a rate limit (they run on one thread): `perform` calls started per second. */
  performsPerSecond?: number;
  logLevel?: string;
  endpointOverrides?: Record<string, string>;
  /** The revocation board (revocation-board.ts), shared with the main thread. */
  revocations?: SharedArrayBuffer;
}

export interface DeliveryTask {
  kind: 'deliver';
  /** A JSON array of canonical events, built from stored bodies without re-serialising. */
  events: string;
  softDeadlineMs: number;
  /** The revocation count the privacy gate checked these events at; absent when no gate runs. */
  privacyCheckpoint?: number;
  /** Someone watches this connection's attempts live: the worker records the task's HTTP exchanges. */
  captureExchanges?: boolean;
}

/** A delivery task's answer: one result per event, and the HTTP exchanges when they were asked for. */
export interface DeliveryReply {
  results: ItemResult[];
  exchanges?: HttpExchange[];
}

/** Forwards a data-subject erasure to the connector's `onDelete`. */
export interface DeletionTask {
  kind: 'delete';
  identities: Record<string, string>;
  softDeadlineMs: number;
}

/** Reads a data subject's records back with the connector's `onExport` (access and portability). */
export interface ExportTask {
  kind: 'export';
  identities: Record<string, string>;
  softDeadlineMs: number;
}

/** Reads one page of a destination audience with the connector's `audience.listMembers` (mirror syncs). */
export interface ListMembersTask extends ListMembersRequest {
  kind: 'list-members';
  softDeadlineMs: number;
}

/** Looks events up with an enrichment connector. */
export interface EnrichmentTask {
  kind: 'enrich';
  events: string;
  softDeadlineMs: number;
  /** The revocation count the events were admitted at: a lookup of a person revoked since is not sent. */
  privacyCheckpoint?: number;
}

/** Answered once the worker has loaded the connector: a pool waits for it before terminating a fresh worker. */
export interface PingTask {
  kind: 'ping';
  softDeadlineMs: number;
}

export type WorkerTask = DeliveryTask | DeletionTask | ExportTask | ListMembersTask | EnrichmentTask | PingTask;

/** What the worker answers to each kind of task (plain objects: error classes do not cross threads). */
export interface WorkerReplies {
  deliver: DeliveryReply;
  delete: ItemResult;
  export: ExportOutcome;
  'list-members': ListMembersOutcome;
  enrich: EnrichmentResult[];
  ping: null;
}

export type TaskKind = WorkerTask['kind'];
export type TaskOf<K extends TaskKind> = Extract<WorkerTask, { kind: K }>;
export type WorkerHandlers = { [K in TaskKind]: (task: TaskOf<K>) => Promise<WorkerReplies[K]> };
