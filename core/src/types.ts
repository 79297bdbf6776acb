import type { CanonicalEvent } from '@switchyard/sdk-kit';

/**
 * The records that flow between the stages of the data path, shared so that no stage imports a later one:
 * the routing decision produces `AcceptedEvent`s, the queue stores them and hands out `QueuedDelivery`s, the
 * delivery runtime asks a `DeliveryGate` (the privacy gate plugs in) before a task goes to a worker.
 */
export interface AcceptedEvent {
  messageId: string;
  sourceId: string;
  /** The canonical event serialised once, at acceptance. */
  body: string;
  /** Every identity of the user (`user_id:…`, `email:…`), for suppression and erasure look-ups. */
  identityKeys: string[];
  connectionIds: string[];
  /**
   * The privacy version the routing decision was made at: every revocation numbered up to it was applied.
   * Deliveries older than the current version are checked again before they leave.
   */
  privacyVersion: number;
}

export interface QueuedDelivery {
  id: number;
  connectionId: string;
  messageId: string;
  body: string;
  attempts: number;
  enqueuedAt: number;
  /** See AcceptedEvent.privacyVersion; 0 for replayed dead letters, which are always checked again. */
  privacyVersion: number;
}

export interface DeliveryError {
  status: string;
  code?: string;
  message?: string;
  httpStatus?: number;
}

export interface Reschedule {
  id: number;
  nextAttemptAt: number;
  attempts: number;
  error: DeliveryError;
}

export interface DeadLetter extends QueuedDelivery {
  deadAt: number;
  error: DeliveryError;
}

export interface DeadLetterFilter {
  connectionId?: string;
  ids?: number[];
  limit?: number;
  afterId?: number;
}

/** The gate's answer for a task: a verdict per item, and the revocation count the check was made at. */
export interface GateDecision {
  verdicts: Array<{ deliver: boolean; reason?: string }>;
  /**
   * Handed to the worker with the task: before each action call and each request, the worker hands back any
   * item whose identities were revoked after this checkpoint, to be checked here again.
   */
  checkpoint?: number;
}

/**
 * Late-binding check run right before a connector gets a delivery (privacy gate hooks in here).
 * `finished` resolves once the task carrying the items it lets through is over (settled, handed back or
 * abandoned), so an erasure can wait for deliveries a worker already holds before it forwards the deletion.
 */
export type DeliveryGate = (connectionId: string, items: QueuedDelivery[], finished: Promise<void>) => Promise<GateDecision>;

/** Why a connection did not get an event: fan-out (`source`, `integrations`, `no_action`) or privacy (`consent:<purpose>`, `ccpa:data_sale_opt_out`). */
export interface SkippedConnection {
  connection: string;
  reason: string;
}

/**
 * Where each event went, as the stages decide it (the operator's trace by messageId). Stages report through this
 * port; the composition root plugs the trace store in.
 */
export interface EventTracer {
  /** The routing decision: the connections it goes to and why the others do not get it. */
  decided(event: CanonicalEvent, chosen: readonly string[], skipped: readonly SkippedConnection[]): void;
  /** Dropped before routing: `suppressed`, `duplicate`, `blocked_by_data_plan`. */
  dropped(event: CanonicalEvent, reason: string): void;
}

/**
 * Told of the events a request got accepted (admitted by the privacy gate, through the data plan, with their
 * profileId), once they are durable. Called on the request's path: it must only hand them on (audiences).
 */
export interface AcceptedEventsObserver {
  accepted(events: readonly CanonicalEvent[]): void;
}
