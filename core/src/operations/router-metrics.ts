import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ConnectionStats, SettledBatch } from '../delivery/connection-dispatcher.js';
import type { PrivacyAuditRow } from '../privacy/privacy-audit.js';
import type { BreakerState } from '../workers/circuit-breaker.js';
import { queuedAgeSeconds } from './queued-age.js';

/** What the metrics read at scrape time: every stage's own counters, never a copy kept in sync. */
export interface MetricsReadings {
  /** Intake counters per source (`received`, `accepted`, `duplicates`, `suppressed`, `blockedByPlan`, `unrouted`, …). */
  sources: () => Record<string, Record<string, number>>;
  connections: () => Record<string, ConnectionStats>;
  queueDepth: () => Promise<Record<string, number>>;
  /** When the oldest queued delivery of each connection was enqueued (epoch ms). */
  oldestQueuedAt: () => Promise<Record<string, number>>;
  privacyDecisions: () => PrivacyAuditRow[];
  /** Events each connection's filters left out, by reason (`drop`, `sample`). */
  filtered?: () => Record<string, Record<string, number>>;
}

const BREAKER_STATES = ['closed', 'open', 'half-open'] as const satisfies readonly BreakerState[];
const INTAKE_COUNTERS: Record<string, string> = {
  received: 'switchyard_source_events_received_total',
  accepted: 'switchyard_source_events_accepted_total',
  duplicates: 'switchyard_source_events_deduplicated_total',
  blockedByPlan: 'switchyard_source_events_blocked_by_data_plan_total',
  suppressed: 'switchyard_source_events_suppressed_total',
  unrouted: 'switchyard_source_events_unrouted_total',
};
const CONNECTION_COUNTERS: Record<string, keyof ConnectionStats> = {
  switchyard_connection_deliveries_delivered_total: 'delivered',
  switchyard_connection_deliveries_retried_total: 'retried',
  switchyard_connection_deliveries_rate_limited_total: 'rateLimited',
  switchyard_connection_deliveries_dead_lettered_total: 'deadLettered',
  switchyard_connection_deliveries_dropped_total: 'dropped',
};

/**
 * A counter over a cumulative reading: each scrape adds what grew since the last one (a reading that went down
 * started again from zero, e.g. a connection restarted by a reload).
 */
function cumulativeCounter(registry: Registry, name: string, help: string, labelNames: string[], read: () => Array<[Record<string, string>, number]>) {
  const last = new Map<string, number>();
  return new Counter({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      for (const [labels, value] of read()) {
        const key = JSON.stringify(labels);
        const previous = last.get(key) ?? 0;
        const grown = value >= previous ? value - previous : value;
        if (grown > 0) this.inc(labels, grown);
        last.set(key, value);
      }
    },
  });
}

/**
 * The router's Prometheus metrics (prom-client), one registry per router. Labels are source ids, connection ids,
 * bounded codes and routes, never user data. `/metrics` serves `render()`.
 */
export class RouterMetrics {
  readonly registry = new Registry();
  private readonly ack: Histogram;
  private readonly rejected: Counter;
  private readonly deliveryLatency: Histogram;
  private readonly failures: Counter;

  constructor(readings: MetricsReadings) {
    const registry = this.registry;
    collectDefaultMetrics({ register: registry, prefix: 'switchyard_' });
    for (const [what, name] of Object.entries(INTAKE_COUNTERS)) {
      cumulativeCounter(registry, name, `Events per source: ${what}`, ['source'], () =>
        Object.entries(readings.sources()).map(([source, counts]) => [{ source }, counts[what] ?? 0]),
      );
    }
    for (const [name, field] of Object.entries(CONNECTION_COUNTERS)) {
      cumulativeCounter(registry, name, `Deliveries per connection: ${field}`, ['connection'], () =>
        Object.entries(readings.connections()).map(([connection, stats]) => [{ connection }, Number(stats[field])]),
      );
    }
    cumulativeCounter(
      registry,
      'switchyard_privacy_decisions_total',
      'Privacy decisions (suppressed, blocked:<reason>, erased, …) per source and connection',
      ['source', 'connection', 'decision'],
      () => readings.privacyDecisions().map((row) => [{ source: row.sourceId ?? '', connection: row.connectionId ?? '', decision: row.decision }, row.count]),
    );
    cumulativeCounter(
      registry,
      'switchyard_connection_filtered_total',
      "Events a connection's filters left out, per connection and reason (drop, sample)",
      ['connection', 'reason'],
      () =>
        Object.entries(readings.filtered?.() ?? {}).flatMap(([connection, counts]) =>
          Object.entries(counts).map(([reason, count]) => [{ connection, reason }, count] as [Record<string, string>, number]),
        ),
    );
    new Gauge({
      name: 'switchyard_connection_deliveries_in_flight',
      help: 'Deliveries a connection has handed to its workers and not settled yet',
      labelNames: ['connection'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [connection, stats] of Object.entries(readings.connections())) this.set({ connection }, stats.inFlight);
      },
    });
    new Gauge({
      name: 'switchyard_connection_breaker_state',
      help: 'Circuit breaker state per connection: 1 for the current state',
      labelNames: ['connection', 'state'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [connection, stats] of Object.entries(readings.connections())) {
          for (const state of BREAKER_STATES) this.set({ connection, state }, stats.breaker === state ? 1 : 0);
        }
      },
    });
    new Gauge({
      name: 'switchyard_connection_healthy',
      help: '1 while a connection is healthy, 0 while it is unhealthy (for example its credentials failed)',
      labelNames: ['connection'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [connection, stats] of Object.entries(readings.connections())) this.set({ connection }, stats.health === 'unhealthy' ? 0 : 1);
      },
    });
    new Gauge({
      name: 'switchyard_queue_depth',
      help: 'Deliveries waiting in the durable queue per connection (retries included)',
      labelNames: ['connection'],
      registers: [registry],
      async collect() {
        this.reset();
        for (const [connection, depth] of Object.entries(await readings.queueDepth())) this.set({ connection }, depth);
      },
    });
    new Gauge({
      name: 'switchyard_connection_oldest_queued_age_seconds',
      help: 'Age of the oldest delivery waiting in the durable queue per connection (retries included; 0 when none waits)',
      labelNames: ['connection'],
      registers: [registry],
      async collect() {
        this.reset();
        const oldest = await readings.oldestQueuedAt();
        const now = Date.now();
        // Running connections report 0 when their queue is empty; a removed connection's leftovers still count.
        for (const connection of new Set([...Object.keys(readings.connections()), ...Object.keys(oldest)])) {
          this.set({ connection }, queuedAgeSeconds(oldest[connection], now));
        }
      },
    });
    this.ack = new Histogram({
      name: 'switchyard_ingestion_ack_duration_seconds',
      help: 'Time from request to acknowledgement of accepted ingestion requests, per API',
      labelNames: ['api'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    });
    this.rejected = new Counter({
      name: 'switchyard_source_requests_rejected_total',
      help: 'Ingestion requests answered with an error, per source (empty when not authenticated) and reason code',
      labelNames: ['api', 'source', 'reason'],
      registers: [registry],
    });
    this.deliveryLatency = new Histogram({
      name: 'switchyard_connection_delivery_latency_seconds',
      help: 'Time from acceptance to delivery per connection',
      labelNames: ['connection'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers: [registry],
    });
    this.failures = new Counter({
      name: 'switchyard_connection_delivery_failures_total',
      help: 'Failed delivery attempts per connection and error code (retried or dead-lettered)',
      labelNames: ['connection', 'code'],
      registers: [registry],
    });
  }

  /** An ingestion request was answered (`rejection`: the error code when it was refused). */
  observeIngestion(api: string, seconds: number, sourceId: string | undefined, rejection: string | undefined): void {
    if (rejection) this.rejected.inc({ api, source: sourceId ?? '', reason: rejection });
    else this.ack.observe({ api }, seconds);
  }

  /** Refused ingestion requests per authenticated source, read from the counter `/metrics` serves. */
  async rejectedBySource(): Promise<Record<string, number>> {
    const bySource: Record<string, number> = {};
    for (const { labels, value } of (await this.rejected.get()).values) {
      const source = String(labels.source ?? '');
      if (source) bySource[source] = (bySource[source] ?? 0) + value;
    }
    return bySource;
  }

  observeSettled(batch: SettledBatch): void {
    for (const ms of batch.latenciesMs ?? []) this.deliveryLatency.observe({ connection: batch.connectionId }, ms / 1000);
    for (const { code } of batch.failures ?? []) this.failures.inc({ connection: batch.connectionId, code });
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
