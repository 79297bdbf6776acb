import CircuitBreaker from 'opossum';
import { PRIVACY_RECHECK, type ItemResult } from '@switchyard/sdk-kit';
import type { BreakerOptions } from './delivery-options.js';

export type BreakerState = 'closed' | 'open' | 'half-open';

/** Thrown inside the breaker so opossum counts the task as failed; carries the results to settle. */
export class FailedTask extends Error {
  constructor(readonly results: ItemResult[]) {
    super('every attempted item failed with a retryable error');
  }
}

/**
 * A task fails the breaker when nothing in it succeeded and something failed transiently. Items handed back for
 * a privacy check say nothing about the destination.
 */
export function isFailedTask(results: ItemResult[]): boolean {
  return results.some((r) => r.status === 'retryable' && r.code !== PRIVACY_RECHECK) && !results.some((r) => r.status === 'ok' && r.code !== 'NOT_SUBSCRIBED');
}

type Run = (events: string, privacyCheckpoint: number | undefined) => Promise<ItemResult[]>;

export function createBreaker(run: Run, options: BreakerOptions): CircuitBreaker<[string, number | undefined], ItemResult[]> {
  return new CircuitBreaker(
    async (events: string, privacyCheckpoint: number | undefined) => {
      const results = await run(events, privacyCheckpoint);
      if (isFailedTask(results)) throw new FailedTask(results);
      return results;
    },
    {
      timeout: false,
      errorThresholdPercentage: options.errorThresholdPercentage,
      volumeThreshold: options.volumeThreshold,
      resetTimeout: options.resetTimeoutMs,
      rollingCountTimeout: options.rollingWindowMs,
      rollingCountBuckets: 10,
    },
  );
}

export function breakerState(breaker: CircuitBreaker): BreakerState {
  if (breaker.opened) return 'open';
  if (breaker.halfOpen) return 'half-open';
  return 'closed';
}
