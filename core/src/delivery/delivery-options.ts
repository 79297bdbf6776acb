import type { AnyAction, AnyConnector } from '@switchyard/sdk-kit';
import type { DeliveryOverrides } from '../config/config-types.js';
import type { BreakerOptions } from '../workers/circuit-breaker.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry-policy.js';

export type { BreakerOptions };

export interface DeliveryOptions {
  /** Concurrent tasks (and so concurrent requests) to the destination. */
  maxConcurrency: number;
  /** Tasks started per second; a task is one request for batching connectors, one event otherwise. */
  ratePerSecond?: number;
  batch: { maxItems: number; maxBytes: number; maxWaitMs: number };
  retry: RetryPolicy;
  breaker: BreakerOptions;
  workers: { maxThreads: number; concurrentTasksPerWorker?: number; taskTimeoutMs: number; maxOldGenerationSizeMb: number };
  requestTimeoutMs?: number;
  /** How long a graceful shutdown waits for in-flight tasks before handing them back to the queue. */
  drainTimeoutMs: number;
}

/** Fills a connection's delivery options from its overrides, then the connector's defaults, then ours. */
export function resolveDeliveryOptions(connector: AnyConnector, overrides: DeliveryOverrides = {}): DeliveryOptions {
  const actions = Object.values(connector.actions as Record<string, AnyAction>);
  const batches = actions.every((a) => a.performBatch);
  const batchLimit = Math.min(...actions.map((a) => a.batch?.maxItems ?? 100), 100);
  const ratePerSecond = overrides.ratePerSecond ?? connector.defaults?.ratePerSecond;
  // Without performBatch each event is a request; under a rate limit a task must then be one event.
  const maxItems = overrides.batch?.maxItems ?? (!batches && ratePerSecond ? 1 : batchLimit);
  return {
    maxConcurrency: overrides.maxConcurrency ?? connector.defaults?.maxConcurrency ?? 8,
    ratePerSecond,
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
      maxThreads: Math.min(2, connector.defaults?.maxWorkers ?? 2),
      taskTimeoutMs: 30_000,
      maxOldGenerationSizeMb: 256,
      ...overrides.workers,
    },
    requestTimeoutMs: overrides.requestTimeoutMs ?? connector.defaults?.requestTimeoutMs,
    drainTimeoutMs: overrides.drainTimeoutMs ?? 10_000,
  };
}
