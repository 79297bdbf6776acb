import {
  AuthenticationError,
  chunkForRequests,
  httpErrorResponse,
  RateLimitedError,
  sendDroppingRefused,
  type BatchResult,
  type PerformContext,
  vendorHttpError,
} from '@switchyard/sdk-kit';
import { ingestionHost, type AmplitudeSettings } from './settings.js';

export type Context = Pick<PerformContext<AmplitudeSettings, unknown>, 'http' | 'settings' | 'signal'>;

/** Amplitude's HTTP V2 limits: 2,000 events and 1 MB a request (413 beyond). */
export const MAX_EVENTS = 2000;
const MAX_BYTES = 1_000_000;
/** Amplitude sends no Retry-After with its per-user throttling 429; its guidance is to pause about 30 s. */
const THROTTLE_PAUSE_MS = 30_000;

interface ErrorBody {
  error?: string;
  missing_field?: string;
  events_with_invalid_fields?: Record<string, number[]>;
  events_with_missing_fields?: Record<string, number[]>;
}

/** Maps a failed HTTP V2 answer to the retry contract, with Amplitude's `error` as the detail. */
export function amplitudeError(thrown: unknown, where: string): unknown {
  const response = httpErrorResponse(thrown);
  const body = (response?.body ?? {}) as ErrorBody;
  // Amplitude answers a wrong key with a 400 that echoes the key.
  if (response?.status === 400 && /invalid api key/i.test(body.error ?? '')) {
    return new AuthenticationError(`Amplitude ${where} refused settings.apiKey: check the key and settings.region (EU projects use region eu)`, {
      code: 'AMPLITUDE_INVALID_API_KEY',
      httpStatus: 400,
    });
  }
  const mapped = vendorHttpError(thrown, `Amplitude ${where}`, () => `${body.error ?? ''}${body.missing_field ? ` (missing ${body.missing_field})` : ''}`);
  // Its per-user throttling 429 comes without Retry-After.
  if (mapped instanceof RateLimitedError && mapped.retryAfterMs === undefined)
    return new RateLimitedError(mapped.message, { code: 'HTTP_429', httpStatus: 429, retryAfterMs: THROTTLE_PAUSE_MS });
  return mapped;
}

/** Indexes a 400 names as missing or with an invalid field, with the reason for each. */
function refusedEvents(thrown: unknown): Map<number, string> | undefined {
  const response = httpErrorResponse(thrown);
  if (response?.status !== 400) return undefined;
  const body = (response.body ?? {}) as ErrorBody;
  const refused = new Map<number, string>();
  for (const [kind, fields] of [
    ['invalid', body.events_with_invalid_fields],
    ['missing', body.events_with_missing_fields],
  ] as const) {
    for (const [field, indexes] of Object.entries(fields ?? {})) for (const i of indexes) refused.set(i, `${kind} field ${field}`);
  }
  return refused;
}

const post = (ctx: Context, events: Record<string, unknown>[]) =>
  ctx.http.post(`https://${ingestionHost(ctx.settings)}/2/httpapi`, {
    json: { api_key: ctx.settings.apiKey, events, ...(ctx.settings.minIdLength ? { options: { min_id_length: ctx.settings.minIdLength } } : {}) },
    signal: ctx.signal,
  });

/**
 * POSTs events to /2/httpapi within Amplitude's limits; one result per event, in order. As Amplitude advises, a 400
 * naming events fails those alone and the rest are sent again; a 413 halves the request.
 */
export async function upload(ctx: Context, events: Record<string, unknown>[]): Promise<BatchResult> {
  const results: BatchResult = new Array(events.length).fill(undefined);
  const reading = { vendor: 'Amplitude', code: 'EVENT_INVALID', refused: refusedEvents, toError: (thrown: unknown) => amplitudeError(thrown, 'httpapi') };
  for (const chunk of chunkForRequests(events, { maxItems: MAX_EVENTS, maxBytes: MAX_BYTES })) {
    const sent = await sendDroppingRefused(chunk.items, (some) => post(ctx, some), reading);
    sent.forEach((result, i) => (results[chunk.start + i] = result));
  }
  return results;
}
