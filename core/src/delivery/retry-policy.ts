import type { ItemResult } from '@switchyard/sdk-kit';

export interface RetryPolicy {
  maxAttempts: number;
  /** A delivery older than this (since acceptance) is dead-lettered instead of retried. */
  maxAgeMs: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 8,
  maxAgeMs: 24 * 60 * 60 * 1000,
  baseDelayMs: 500,
  maxDelayMs: 5 * 60 * 1000,
};

/** Exponential backoff with full jitter: uniform in [0, min(maxDelay, base · 2^(attempt-1))]. */
export function backoffDelay(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
}

export type RetryDecision =
  { action: 'complete' } | { action: 'retry'; attempts: number; nextAttemptAt: number } | { action: 'dead-letter'; attempts: number; reason: string };

export interface DeliveryAttempt {
  attempts: number;
  enqueuedAt: number;
}

/**
 * What to do with one delivery after a result. Retryable failures burn an attempt and back off (or wait
 * Retry-After when the destination said so); rate limits wait without burning one; permanent and
 * authentication failures go to the dead-letter store at once.
 */
export function decideRetry(
  result: ItemResult,
  delivery: DeliveryAttempt,
  policy: RetryPolicy,
  now: number,
  random: () => number = Math.random,
): RetryDecision {
  switch (result.status) {
    case 'ok':
      return { action: 'complete' };
    case 'permanent':
    case 'authentication':
      return { action: 'dead-letter', attempts: delivery.attempts + 1, reason: result.status };
    case 'rate_limited':
    case 'retryable': {
      const burns = result.status === 'retryable';
      const attempts = delivery.attempts + (burns ? 1 : 0);
      if (burns && attempts >= policy.maxAttempts) {
        return { action: 'dead-letter', attempts, reason: `gave up after ${attempts} attempts` };
      }
      const delay = result.retryAfterMs ?? backoffDelay(Math.max(1, attempts), policy, random);
      const nextAttemptAt = now + delay;
      if (nextAttemptAt - delivery.enqueuedAt > policy.maxAgeMs) {
        return { action: 'dead-letter', attempts, reason: `older than the maximum age of ${policy.maxAgeMs} ms` };
      }
      return { action: 'retry', attempts, nextAttemptAt };
    }
  }
}
