import { chunkForRequests } from './chunking.js';
import { classifyError } from './classify.js';
import { AuthenticationError, PermanentError, RateLimitedError, RetryableError } from './errors.js';
import type { BatchItem, BatchResult } from './define-connector.js';
import type { ItemResult } from './types.js';

const ERRORS = { retryable: RetryableError, rate_limited: RateLimitedError, permanent: PermanentError, authentication: AuthenticationError };

/** Raises a failed item result as its error class: a connector's one-event `perform` built on its batch code. */
export function throwIfFailed(result: ItemResult | undefined): void {
  if (!result || result.status === 'ok') return;
  const { status, code = 'NOT_SENT', message = 'not sent', httpStatus, retryAfterMs } = result;
  throw new ERRORS[status](message, { code, httpStatus, retryAfterMs });
}

/**
 * A one-event `perform` built on the connector's batch code, so both paths send the same request: the event goes as
 * a batch of one and its failure is thrown as its error class.
 */
export async function performAsBatchOfOne<C extends BatchItem<unknown>>(
  ctx: C,
  sendBatch: (ctx: C, items: BatchItem<C['payload']>[]) => Promise<BatchResult> | BatchResult,
): Promise<void> {
  throwIfFailed((await sendBatch(ctx, [{ payload: ctx.payload, event: ctx.event, messageId: ctx.messageId }]))[0]);
}

/**
 * Answers the items `skip` has a result for without a request (a vendor that cannot take an event without a user id,
 * say), sends the others, and puts `send`'s results back at their items' places.
 */
export async function sendSkipping<I>(
  items: readonly I[],
  skip: (item: I) => ItemResult | undefined,
  send: (items: I[]) => Promise<BatchResult> | BatchResult,
): Promise<BatchResult> {
  const results: BatchResult = items.map(skip);
  const indexes = items.flatMap((_, i) => (results[i] ? [] : [i]));
  if (indexes.length === 0) return results;
  (await send(indexes.map((i) => items[i]!))).forEach((result, j) => (results[indexes[j]!] = result));
  return results;
}

/**
 * Sends `payloads` in one request. Many vendors refuse a whole request for one invalid item, so when the request is
 * refused permanently each payload is sent again on its own and only the invalid ones fail; any other failure
 * (retryable, rate limited, authentication) is every payload's result. Results are in the order of `payloads`,
 * undefined for the ones sent.
 */
export async function sendSplittingOnRefusal<T>(payloads: readonly T[], send: (payloads: T[]) => Promise<unknown>): Promise<BatchResult> {
  const results: BatchResult = new Array(payloads.length).fill(undefined);
  if (payloads.length === 0) return results;
  try {
    await send([...payloads]);
    return results;
  } catch (error) {
    const failed = classifyError(error);
    if (failed.status !== 'permanent' || payloads.length === 1) return results.fill(failed);
    for (const [i, payload] of payloads.entries()) {
      try {
        await send([payload]);
      } catch (single) {
        results[i] = classifyError(single);
      }
    }
    return results;
  }
}

/** A payload for one vendor request and the batch item(s) it came from (several events can merge into one payload). */
export interface BatchEntry<T> {
  item: number | readonly number[];
  payload: T;
}

/**
 * Sends `entries` at most `maxPerRequest` a request with `sendSplittingOnRefusal`, and writes each entry's result into
 * `results` at its item(s), leaving results already there (items skipped before sending) alone. Returns `results`.
 */
export async function sendInChunks<T>(
  results: BatchResult,
  entries: ReadonlyArray<BatchEntry<T>>,
  maxPerRequest: number,
  send: (payloads: T[]) => Promise<unknown>,
): Promise<BatchResult> {
  for (const { items: chunk } of chunkForRequests(entries, { maxItems: maxPerRequest })) {
    const sent = await sendSplittingOnRefusal(
      chunk.map((e) => e.payload),
      send,
    );
    chunk.forEach((entry, i) => {
      for (const item of typeof entry.item === 'number' ? [entry.item] : entry.item) results[item] = sent[i];
    });
  }
  return results;
}
