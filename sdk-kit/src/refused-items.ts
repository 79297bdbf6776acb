import { classifyError } from './classify.js';
import type { BatchResult } from './define-connector.js';
import { PermanentError } from './errors.js';

/** How a vendor says which items of a refused request were at fault. */
export interface RefusalReading {
  /** The indexes (into the request's items) the vendor named, each with its reason; empty or undefined when it named none. */
  refused(thrown: unknown): Map<number, string> | undefined;
  /** Maps what `send` threw to the retry contract (e.g. the vendor's error body to an error class); default: as thrown. */
  toError?(thrown: unknown): unknown;
  /** Code of the named items' permanent failure; default `ITEM_REFUSED`. */
  code?: string;
  /** Vendor name in the named items' message. */
  vendor: string;
  /** The vendor ingested the items it did not name (Mixpanel's /import): they succeed without being sent again. */
  othersAccepted?: boolean;
}

const statusOf = (thrown: unknown) => (thrown as { response?: { statusCode?: number } } | null)?.response?.statusCode;

/**
 * Sends `payloads` in one request, for vendors that answer an error naming the items at fault (Amplitude's
 * events_with_invalid_fields, Mixpanel's failed_records): the named items fail permanently with the vendor's reason and
 * the others are sent again, or succeed as they are with `othersAccepted`. A 413 halves the request until it fits.
 * Any other failure is every payload's result.
 */
export async function sendDroppingRefused<T>(payloads: readonly T[], send: (payloads: T[]) => Promise<unknown>, reading: RefusalReading): Promise<BatchResult> {
  const results: BatchResult = new Array(payloads.length).fill(undefined);
  if (payloads.length === 0) return results;
  try {
    await send([...payloads]);
    return results;
  } catch (thrown) {
    if (statusOf(thrown) === 413 && payloads.length > 1) {
      const half = Math.ceil(payloads.length / 2);
      return [...(await sendDroppingRefused(payloads.slice(0, half), send, reading)), ...(await sendDroppingRefused(payloads.slice(half), send, reading))];
    }
    const refused = new Map([...(reading.refused(thrown) ?? [])].filter(([i]) => Number.isInteger(i) && i >= 0 && i < payloads.length));
    if (refused.size === 0 || refused.size === payloads.length) return results.fill(classifyError(reading.toError ? reading.toError(thrown) : thrown));
    for (const [i, reason] of refused) {
      results[i] = new PermanentError(`${reading.vendor} refused the item: ${reason}`, {
        code: reading.code ?? 'ITEM_REFUSED',
        httpStatus: statusOf(thrown),
      }).toResult();
    }
    if (reading.othersAccepted) return results;
    const rest = payloads.flatMap((payload, i) => (refused.has(i) ? [] : [{ payload, i }]));
    const again = await sendDroppingRefused(
      rest.map((r) => r.payload),
      send,
      reading,
    );
    rest.forEach((r, j) => (results[r.i] = again[j]));
    return results;
  }
}
