import { AuthenticationError, classifyError, PermanentError, RateLimitedError, RetryableError, type BatchResult, type ItemResult } from '@switchyard/sdk-kit';

const ERRORS = { retryable: RetryableError, rate_limited: RateLimitedError, permanent: PermanentError, authentication: AuthenticationError };

/** Re-raises a failed item result as its error class, for the one-event path. */
export function throwIfFailed(result: ItemResult | undefined): void {
  if (!result || result.status === 'ok') return;
  const { status, code = 'NOT_SENT', message = 'not sent', httpStatus, retryAfterMs } = result;
  throw new ERRORS[status](message, { code, httpStatus, retryAfterMs });
}

/** Runs one request for some of a batch's items and writes its per-item results (or its failure) into `results`. */
export async function settle(results: BatchResult, indexes: number[], send: () => Promise<BatchResult>): Promise<void> {
  if (indexes.length === 0) return;
  try {
    const sent = await send();
    indexes.forEach((index, i) => {
      results[index] = sent[i];
    });
  } catch (error) {
    const failed = classifyError(error);
    for (const index of indexes) results[index] = failed;
  }
}
