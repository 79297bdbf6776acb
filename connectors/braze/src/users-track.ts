import {
  errorForHttpStatus,
  parseRetryAfter,
  PermanentError,
  RateLimitedError,
  classifyError,
  type BatchResult,
  type PerformContext,
} from '@switchyard/sdk-kit';
import type { BrazeSettings } from './settings.js';

export type Context = Pick<PerformContext<BrazeSettings, unknown>, 'http' | 'settings' | 'signal' | 'log'>;
export type TrackArray = 'attributes' | 'events' | 'purchases';

/** Objects per array in one /users/track request (Braze's limit). */
export const MAX_PER_ARRAY = 75;

/** One object for /users/track and the batch item it came from (a purchase event can give several). */
export interface Entry {
  item: number;
  object: Record<string, unknown>;
}

interface HttpErrorShape {
  response?: { statusCode: number; headers: Record<string, string | string[] | undefined>; body?: unknown };
}
interface TrackResponse {
  message?: string;
  errors?: Array<{ type?: string; input_array?: string; index?: number }>;
}

/** `X-RateLimit-Reset` is the unix time (seconds) when the limit resets. */
export function retryAfterFromReset(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const reset = Number(Array.isArray(value) ? value[0] : value);
  return Number.isFinite(reset) && reset > 0 ? Math.max(0, reset * 1000 - now) : undefined;
}

export const authHeaders = (settings: BrazeSettings) => ({ authorization: `Bearer ${settings.apiKey}` });

/** Maps a failed Braze response to the retry contract, with Braze's `message` as the detail. */
export function brazeError(thrown: unknown, where: string): unknown {
  const response = (thrown as HttpErrorShape | null)?.response;
  if (!response) return thrown;
  let message = '';
  try {
    message = String((JSON.parse(String(response.body)) as { message?: string }).message ?? '');
  } catch {
    /* not JSON */
  }
  const detail = `Braze ${where}${message ? `: ${message}` : ''}`;
  if (response.statusCode === 429) {
    return new RateLimitedError(`destination answered HTTP 429: ${detail}`, {
      // A 429 from a proxy in front of Braze carries Retry-After instead.
      code: 'HTTP_429',
      httpStatus: 429,
      retryAfterMs: retryAfterFromReset(response.headers['x-ratelimit-reset']) ?? parseRetryAfter(response.headers['retry-after']),
    });
  }
  return errorForHttpStatus(response.statusCode, response.headers, detail) ?? thrown;
}

/**
 * Sends entries to POST /users/track, 75 per request. Braze answers 201 with "minor" errors naming the array and
 * index of each object it dropped; those fail their own item only (an item fails if any of its objects did).
 */
export async function track(ctx: Context, array: TrackArray, entries: Entry[], itemCount: number): Promise<BatchResult> {
  const results: BatchResult = new Array(itemCount).fill(undefined);
  for (let start = 0; start < entries.length; start += MAX_PER_ARRAY) {
    const chunk = entries.slice(start, start + MAX_PER_ARRAY);
    try {
      const response = await ctx.http
        .post(`${ctx.settings.restEndpoint}/users/track`, {
          json: { [array]: chunk.map((e) => e.object) },
          headers: authHeaders(ctx.settings),
          signal: ctx.signal,
        })
        .json<TrackResponse>();
      for (const error of response.errors ?? []) {
        const entry = error.input_array === array && Number.isInteger(error.index) ? chunk[error.index!] : undefined;
        if (entry)
          results[entry.item] = new PermanentError(`Braze dropped the ${array} object: ${error.type ?? 'invalid'}`, { code: 'BRAZE_MINOR_ERROR' }).toResult();
      }
    } catch (thrown) {
      const failed = classifyError(brazeError(thrown, 'users/track'));
      for (const entry of chunk) results[entry.item] ??= failed;
    }
  }
  return results;
}
