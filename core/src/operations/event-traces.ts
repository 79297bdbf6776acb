import { LRUCache } from 'lru-cache';
import type { SettledBatch } from '../delivery/connection-dispatcher.js';
import type { EventTracer, SkippedConnection } from '../types.js';

export interface TraceStep {
  at: string;
  /** `routing`, `dropped`, `delivery`. */
  stage: string;
  connection?: string;
  /** routing: `queued` or `skipped`; dropped: the reason; delivery: `delivered`, `retried`, `dead_lettered`, `dropped_by_privacy`. */
  outcome: string;
  reason?: string;
}

export interface EventTrace {
  messageId: string;
  sourceId: string;
  steps: TraceStep[];
}

const MAX_STEPS = 100;

/**
 * Where recent events went (the last `capacity` messageIds, in memory): the routing decision with the reason each
 * skipped connection did not get the event, drops before routing, and every settled delivery attempt.
 */
export class EventTraces implements EventTracer {
  private readonly traces: LRUCache<string, EventTrace>;

  constructor(readonly capacity = 10_000) {
    this.traces = new LRUCache({ max: capacity });
  }

  private step(messageId: string, sourceId: string | undefined, step: Omit<TraceStep, 'at'>): void {
    let trace = this.traces.get(messageId);
    if (!trace) {
      if (sourceId === undefined) return; // a delivery of an event that left the window
      trace = { messageId, sourceId, steps: [] };
      this.traces.set(messageId, trace);
    }
    if (trace.steps.length < MAX_STEPS) trace.steps.push({ at: new Date().toISOString(), ...step });
  }

  decided(event: { messageId: string; sourceId: string }, chosen: readonly string[], skipped: readonly SkippedConnection[]): void {
    for (const connection of chosen) this.step(event.messageId, event.sourceId, { stage: 'routing', connection, outcome: 'queued' });
    for (const { connection, reason } of skipped) this.step(event.messageId, event.sourceId, { stage: 'routing', connection, outcome: 'skipped', reason });
  }

  dropped(event: { messageId: string; sourceId: string }, reason: string): void {
    this.step(event.messageId, event.sourceId, { stage: 'dropped', outcome: reason });
  }

  observe(batch: SettledBatch): void {
    const connection = batch.connectionId;
    for (const id of batch.delivered) this.step(id, undefined, { stage: 'delivery', connection, outcome: 'delivered' });
    for (const failure of batch.failures ?? []) {
      this.step(failure.messageId, undefined, { stage: 'delivery', connection, outcome: failure.outcome, reason: failure.code });
    }
    for (const id of batch.dropped) this.step(id, undefined, { stage: 'delivery', connection, outcome: 'dropped_by_privacy' });
  }

  get(messageId: string): EventTrace | undefined {
    return this.traces.get(messageId);
  }
}
