import type { CanonicalEvent } from '@switchyard/sdk-kit';
import type { SettledBatch } from '../delivery/connection-dispatcher.js';
import type { EventTracer, SkippedConnection } from '../types.js';
import { maskPii, maskText } from './pii-mask.js';

export type LiveKind = 'inbound' | 'attempt';

export interface LiveFilter {
  /** Inbound events of these sources (any when empty). */
  sources: ReadonlySet<string>;
  /** Attempts of these connections, and inbound events routed to them (any when empty). */
  connections: ReadonlySet<string>;
  kinds: ReadonlySet<LiveKind>;
  maskPii: boolean;
  /** At most this many inbound events per source and second reach this subscriber. */
  inboundPerSecond: number;
}

/** Writes one server-sent event; false when the subscriber cannot take more now (it then misses events). */
export type LiveSend = (name: string, data: unknown) => boolean;

interface Subscriber {
  filter: LiveFilter;
  send: LiveSend;
  /** Per source: the second being counted and how many inbound events went out in it. */
  sampled: Map<string, { second: number; count: number }>;
  close: () => void;
}

/**
 * The live view's fan-out: sampled inbound events as the routing decision sees them, and every settled delivery
 * attempt with its HTTP exchanges. Nothing is built while nobody watches.
 */
export class LiveEvents implements EventTracer {
  private readonly subscribers = new Set<Subscriber>();

  /** Adds a subscriber; returns the function that removes it. `close` is called when the router stops. */
  subscribe(filter: LiveFilter, send: LiveSend, close: () => void): () => void {
    const subscriber: Subscriber = { filter, send, sampled: new Map(), close };
    this.subscribers.add(subscriber);
    return () => this.subscribers.delete(subscriber);
  }

  get watching(): number {
    return this.subscribers.size;
  }

  /** Whether someone watches this connection's attempts (its workers then record HTTP exchanges). */
  watchesAttempts(connectionId: string): boolean {
    for (const { filter } of this.subscribers) if (wantsAttempt(filter, connectionId)) return true;
    return false;
  }

  decided(event: CanonicalEvent, chosen: readonly string[], skipped: readonly SkippedConnection[]): void {
    if (this.subscribers.size === 0) return;
    this.inbound(event, chosen, { outcome: chosen.length ? 'routed' : 'unrouted', connections: chosen, skipped });
  }

  dropped(event: CanonicalEvent, reason: string): void {
    if (this.subscribers.size === 0) return;
    this.inbound(event, [], { outcome: reason });
  }

  observe(batch: SettledBatch): void {
    if (this.subscribers.size === 0) return;
    let plain: Record<string, unknown> | undefined;
    let masked: Record<string, unknown> | undefined;
    for (const subscriber of this.subscribers) {
      if (!wantsAttempt(subscriber.filter, batch.connectionId)) continue;
      plain ??= attemptOf(batch);
      subscriber.send('attempt', subscriber.filter.maskPii ? (masked ??= maskAttempt(plain)) : plain);
    }
  }

  /** Ends every stream (the router is stopping). */
  close(): void {
    for (const subscriber of this.subscribers) subscriber.close();
    this.subscribers.clear();
  }

  private inbound(event: CanonicalEvent, chosen: readonly string[], routing: Record<string, unknown>): void {
    const second = Math.floor(Date.now() / 1000);
    let plain: Record<string, unknown> | undefined;
    let masked: Record<string, unknown> | undefined;
    for (const subscriber of this.subscribers) {
      const { filter } = subscriber;
      if (!filter.kinds.has('inbound') || !wantsInbound(filter, event.sourceId, chosen)) continue;
      if (!takeSample(subscriber, event.sourceId, second)) continue;
      plain ??= inboundOf(event, routing);
      subscriber.send('inbound', filter.maskPii ? (masked ??= maskPii(plain) as Record<string, unknown>) : plain);
    }
  }
}

function wantsInbound(filter: LiveFilter, sourceId: string, chosen: readonly string[]): boolean {
  if (filter.sources.size === 0 && filter.connections.size === 0) return true;
  return filter.sources.has(sourceId) || chosen.some((id) => filter.connections.has(id));
}

function wantsAttempt(filter: LiveFilter, connectionId: string): boolean {
  if (!filter.kinds.has('attempt')) return false;
  if (filter.connections.size > 0) return filter.connections.has(connectionId);
  return filter.sources.size === 0;
}

function takeSample(subscriber: Subscriber, sourceId: string, second: number): boolean {
  const window = subscriber.sampled.get(sourceId);
  if (!window || window.second !== second) {
    subscriber.sampled.set(sourceId, { second, count: 1 });
    return true;
  }
  if (window.count >= subscriber.filter.inboundPerSecond) return false;
  window.count += 1;
  return true;
}

function inboundOf(event: CanonicalEvent, routing: Record<string, unknown>): Record<string, unknown> {
  // The raw message repeats the body in the source's own shape; the canonical event is what connections get.
  const { raw: _raw, ...body } = event;
  return {
    at: new Date().toISOString(),
    source: event.sourceId,
    messageId: event.messageId,
    type: event.type,
    event: event.event ?? null,
    ...routing,
    body,
  };
}

function attemptOf(batch: SettledBatch): Record<string, unknown> {
  const failures = new Map((batch.failures ?? []).map((failure) => [failure.messageId, failure]));
  const items = [
    ...batch.delivered.map((messageId) => ({ messageId, outcome: 'delivered' })),
    ...[...batch.retried, ...batch.deadLettered].map((messageId) => {
      const { outcome, code, httpStatus, message } = failures.get(messageId) ?? { outcome: 'retried' };
      return { messageId, outcome, ...(code ? { code } : {}), ...(httpStatus ? { httpStatus } : {}), ...(message ? { message } : {}) };
    }),
    ...batch.dropped.map((messageId) => ({ messageId, outcome: 'dropped', code: 'PRIVACY' })),
  ];
  return { at: new Date().toISOString(), connection: batch.connectionId, items, exchanges: batch.exchanges ?? [] };
}

function maskAttempt(attempt: Record<string, unknown>): Record<string, unknown> {
  const exchanges = (attempt.exchanges as Array<Record<string, unknown>>).map((exchange) => ({
    ...exchange,
    url: maskUrl(exchange.url as string),
    request: maskPii(exchange.request),
    ...(exchange.response ? { response: maskPii(exchange.response) } : {}),
  }));
  return { ...attempt, items: maskPii(attempt.items), exchanges };
}

/** The destination's origin stays (it is no one's data); personal values in the path and query go. */
function maskUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${maskText(decodeURIComponent(parsed.pathname + parsed.search))}`;
  } catch {
    return maskText(url);
  }
}
