import { AuthenticationError, ConnectorError, PermanentError, RateLimitedError, RetryableError } from './errors.js';

const RETRYABLE_CLIENT_STATUSES = new Set([408, 423, 429]);

/** Parses a Retry-After header (delta-seconds or HTTP date) into milliseconds from `now`. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const header = Array.isArray(value) ? value[0] : value;
  if (header === undefined || header.trim() === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, Math.round(seconds * 1000));
  const date = Date.parse(header);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/**
 * Maps an HTTP status to the retry contract: 429 → rate limited, 408/423/5xx (except 501) → retryable,
 * 401/403 → authentication, other 4xx and 501 → permanent. Returns undefined for success statuses.
 */
export function errorForHttpStatus(status: number, headers: Record<string, string | string[] | undefined> = {}, detail = ''): ConnectorError | undefined {
  if (status < 400) return undefined;
  const message = `destination answered HTTP ${status}${detail ? `: ${detail}` : ''}`;
  const retryAfterMs = parseRetryAfter(headers['retry-after']);
  const options = { code: `HTTP_${status}`, httpStatus: status, retryAfterMs };
  if (status === 429) return new RateLimitedError(message, options);
  if (status === 401 || status === 403) return new AuthenticationError(message, options);
  if (RETRYABLE_CLIENT_STATUSES.has(status) || (status >= 500 && status !== 501)) {
    return new RetryableError(message, options);
  }
  return new PermanentError(message, options);
}
