import type { AnyAction, AnyConnector } from '@switchyard/sdk-kit';
import type { DeliveryOverrides } from '../config/config-types.js';
import type { BreakerOptions } from '../workers/circuit-breaker.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry-policy.js';

export type { BreakerOptions };

export interface DeliveryOptions {
  /** Concurrent requests to the destination: worker threads × events in flight per task. */
  maxConcurrency: number;
  /** Requests started per second: one per task when the connection batches, one per event otherwise. */
  ratePerSecond?: number;
  /** Whether the connection sends a task's events in one request (performBatch, and batchWhen says yes). */
  batches: boolean;
  /** `perform` calls of one task in flight at once; threads × this never exceeds maxConcurrency. */
  eventConcurrency: number;
  batch: { maxItems: number; maxBytes: number; maxWaitMs: number };
  retry: RetryPolicy;
  breaker: BreakerOptions;
  workers: { maxThreads: number; concurrentTasksPerWorker?: number; taskTimeoutMs: number; maxOldGenerationSizeMb: number };
  requestTimeoutMs?: number;
  /** How long a graceful shutdown waits for in-flight tasks before handing them back to the queue. */
  drainTimeoutMs: number;
}

/**
 * Fills a connection's delivery options from its overrides, then the connector's defaults, then ours. `settings`
 * decide whether actions with a `batchWhen` batch.
 */
export function resolveDeliveryOptions(connector: AnyConnector, overrides: DeliveryOverrides = {}, settings: unknown = {}): DeliveryOptions {
  const actions = Object.values(connector.actions as Record<string, AnyAction>);
  const batches = actions.every((a) => a.performBatch && (a.batchWhen ? a.batchWhen(settings) : true));
  const batchLimit = Math.min(...actions.map((a) => a.batch?.maxItems ?? 100), 100);
  const ratePerSecond = overrides.ratePerSecond ?? connector.defaults?.ratePerSecond;
  const maxConcurrency = overrides.maxConcurrency ?? connector.defaults?.maxConcurrency ?? 8;
  // Piscina runs one task (they all carry an abort signal) per thread at a time, so a task's events overlap instead.
  // One thread when tasks must run one after another (per-user ordering, in lease order) or when its executor paces
  // every request (a rate limit without batching).
  const threads = overrides.workers?.maxThreads ?? Math.min(2, connector.defaults?.maxWorkers ?? 2);
  const oneThread = connector.ordering === 'per-user' || (!batches && ratePerSecond !== undefined);
  const maxThreads = oneThread ? 1 : Math.max(1, Math.min(threads, maxConcurrency));
  const maxItems = overrides.batch?.maxItems ?? batchLimit;
  return {
    maxConcurrency,
    ratePerSecond,
    batches,
    eventConcurrency: batches ? 1 : Math.max(1, Math.floor(maxConcurrency / maxThreads)),
    batch: {
      maxItems,
      maxBytes: overrides.batch?.maxBytes ?? 4 * 1024 * 1024,
      maxWaitMs: overrides.batch?.maxWaitMs ?? (batches ? 50 : 0),
    },
    retry: { ...DEFAULT_RETRY_POLICY, ...overrides.retry },
    breaker: {
      errorThresholdPercentage: 50,
      volumeThreshold: 5,
      resetTimeoutMs: 10_000,
      rollingWindowMs: 10_000,
      ...overrides.breaker,
    },
    workers: {
      taskTimeoutMs: 30_000,
      maxOldGenerationSizeMb: 256,
      ...overrides.workers,
      maxThreads,
    },
    requestTimeoutMs: overrides.requestTimeoutMs ?? connector.defaults?.requestTimeoutMs,
    drainTimeoutMs: overrides.drainTimeoutMs ?? 10_000,
  };
}
