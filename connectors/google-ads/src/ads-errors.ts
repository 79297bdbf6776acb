import {
  AuthenticationError,
  PermanentError,
  RateLimitedError,
  RetryableError,
  errorForHttpStatus,
  type ConnectorError,
  type ItemResult,
} from '@switchyard/sdk-kit';

/** One error of a GoogleAdsFailure (`details[]` of a failed request or of `partialFailureError`). */
export interface GoogleAdsError {
  errorCode?: Record<string, string>;
  message?: string;
  location?: { fieldPathElements?: Array<{ fieldName?: string; index?: number }> };
  details?: { quotaErrorDetails?: { retryDelay?: string } };
}

/** A google.rpc.Status: the `error` of a failed request, or `partialFailureError` of a partly failed one. */
export interface RpcStatus {
  code?: number;
  message?: string;
  status?: string;
  details?: Array<{ '@type'?: string; errors?: GoogleAdsError[]; requestId?: string }>;
}

const RETRYABLE_CODES = new Set(['CONCURRENT_MODIFICATION', 'INTERNAL_ERROR', 'TRANSIENT_ERROR', 'DEADLINE_EXCEEDED']);

export function adsErrorsOf(status: RpcStatus | undefined): GoogleAdsError[] {
  return (status?.details ?? []).flatMap((detail) => detail.errors ?? []);
}

const codeName = (error: GoogleAdsError) => Object.values(error.errorCode ?? {})[0] ?? 'UNKNOWN';

/** "30s" → 30000 ms. */
function parseDuration(value: string | undefined): number | undefined {
  const match = /^(\d+(?:\.\d+)?)s$/.exec(value ?? '');
  return match ? Math.round(Number(match[1]) * 1000) : undefined;
}

/** The retry contract for one Google Ads error (from a partial failure or a whole-request failure). */
export function classifyAdsError(error: GoogleAdsError, httpStatus?: number): ConnectorError {
  const name = codeName(error);
  const message = `Google Ads ${name}: ${error.message ?? 'no message'}`;
  const options = { code: `GOOGLE_ADS_${name}`, httpStatus };
  if (name === 'RESOURCE_EXHAUSTED' || name === 'RESOURCE_TEMPORARILY_EXHAUSTED') {
    return new RateLimitedError(message, { ...options, retryAfterMs: parseDuration(error.details?.quotaErrorDetails?.retryDelay) });
  }
  if (error.errorCode?.authenticationError || error.errorCode?.authorizationError) return new AuthenticationError(message, options);
  if (RETRYABLE_CODES.has(name)) return new RetryableError(message, options);
  return new PermanentError(message, options);
}

/** Maps a failed request's body to the retry contract, falling back to its HTTP status. */
export function requestError(body: unknown, httpStatus: number, headers: Record<string, string | string[] | undefined>): ConnectorError | undefined {
  let parsed: { error?: RpcStatus } = {};
  try {
    parsed = typeof body === 'string' ? JSON.parse(body) : ((body as typeof parsed) ?? {});
  } catch {
    /* not JSON */
  }
  const first = adsErrorsOf(parsed.error)[0];
  if (first && httpStatus !== 401) return classifyAdsError(first, httpStatus);
  return errorForHttpStatus(httpStatus, headers, `Google Ads: ${parsed.error?.message ?? 'request failed'}`);
}

/**
 * Per-item results from `partialFailureError`: each error's field path starts with the list it refers to
 * (`operations`, `conversion_adjustments`) and the index of the failed item in it.
 */
export function partialFailureResults(status: RpcStatus | undefined, count: number, listName: string): Array<ItemResult | undefined> {
  const results: Array<ItemResult | undefined> = new Array(count).fill(undefined);
  for (const error of adsErrorsOf(status)) {
    const element = error.location?.fieldPathElements?.find((e) => e.fieldName === listName);
    const index = element?.index ?? 0;
    if (index < 0 || index >= count) continue;
    results[index] ??= classifyAdsError(error).toResult();
  }
  return results;
}
