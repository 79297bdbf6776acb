import CircuitBreaker from 'opossum';
import { PRIVACY_RECHECK, type ItemResult } from '@switchyard/sdk-kit';
import type { DeliveryReply } from './worker-protocol.js';

export interface BreakerOptions {
  /** Open when this share of tasks in the rolling window failed. */
  errorThresholdPercentage: number;
  /** Minimum tasks in the window before the breaker may open. */
  volumeThreshold: number;
  /** How long it stays open before a half-open probe. */
  resetTimeoutMs: number;
  rollingWindowMs: number;
}

export type BreakerState = 'closed' | 'open' | 'half-open';

/** Thrown inside the breaker so opossum counts the task as failed; carries the results to settle. */
export class FailedTask extends Error {
  constructor(readonly reply: DeliveryReply) {
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

type Run = (events: string, privacyCheckpoint: number | undefined, captureExchanges: boolean) => Promise<DeliveryReply>;

/** A breaker around any call to a connector's workers (delivery tasks, enrichment lookups). */
export function createBreaker<A extends unknown[], R>(
  call: (...args: A) => Promise<R>,
  options: BreakerOptions & { timeoutMs?: number },
): CircuitBreaker<A, R> {
  return new CircuitBreaker(call, {
    timeout: options.timeoutMs ?? false,
    errorThresholdPercentage: options.errorThresholdPercentage,
    volumeThreshold: options.volumeThreshold,
    resetTimeout: options.resetTimeoutMs,
    rollingCountTimeout: options.rollingWindowMs,
    rollingCountBuckets: 10,
  });
}

/** The breaker of a delivery task: a task whose items all failed transiently counts as a failure. */
export function createDeliveryBreaker(run: Run, options: BreakerOptions): CircuitBreaker<Parameters<Run>, DeliveryReply> {
  return createBreaker(async (events: string, privacyCheckpoint: number | undefined, captureExchanges: boolean) => {
    const reply = await run(events, privacyCheckpoint, captureExchanges);
    if (isFailedTask(reply.results)) throw new FailedTask(reply);
    return reply;
  }, options);
}

export function breakerState(breaker: CircuitBreaker): BreakerState {
  if (breaker.opened) return 'open';
  if (breaker.halfOpen) return 'half-open';
  return 'closed';
}
