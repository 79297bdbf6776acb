import { errorForHttpStatus, parseRetryAfter, RateLimitedError, type ConnectorError } from '@switchyard/sdk-kit';

/** SendGrid's error body: `{"errors":[{"field":"contacts[2].email","message":"…"}]}`. */
export interface SendGridErrorBody {
  errors?: Array<{ field?: string | null; message?: string; error_id?: string }>;
}

interface HttpErrorShape {
  response?: { statusCode: number; headers: Record<string, string | string[] | undefined>; body?: unknown };
}

export function readErrors(body: unknown): NonNullable<SendGridErrorBody['errors']> {
  try {
    const parsed = (typeof body === 'string' ? JSON.parse(body) : body) as SendGridErrorBody | null;
    return Array.isArray(parsed?.errors) ? parsed.errors : [];
  } catch {
    return [];
  }
}

/** `X-RateLimit-Reset` is the unix time (seconds) when the limit resets. */
export function retryAfterFromReset(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const reset = Number(Array.isArray(value) ? value[0] : value);
  return Number.isFinite(reset) && reset > 0 ? Math.max(0, reset * 1000 - now) : undefined;
}

/** Maps a failed SendGrid response to the retry contract, with SendGrid's own messages as the detail. */
export function sendGridError(thrown: unknown, where: string): unknown {
  const response = (thrown as HttpErrorShape | null)?.response;
  if (!response) return thrown;
  const detail = readErrors(response.body)
    .map((e) => (e.field ? `${e.field}: ${e.message}` : e.message))
    .join('; ');
  const message = `SendGrid ${where}${detail ? `: ${detail}` : ''}`;
  if (response.statusCode === 429) {
    // A 429 from a proxy in front of SendGrid carries Retry-After instead.
    const retryAfterMs = retryAfterFromReset(response.headers['x-ratelimit-reset']) ?? parseRetryAfter(response.headers['retry-after']);
    return new RateLimitedError(`destination answered HTTP 429: ${message}`, { code: 'HTTP_429', httpStatus: 429, retryAfterMs });
  }
  return (errorForHttpStatus(response.statusCode, response.headers, message) as ConnectorError | undefined) ?? thrown;
}

/** Indexes of contacts SendGrid named in a 400 (`contacts[3].email`). */
export function invalidContactIndexes(body: unknown): Map<number, string> {
  const invalid = new Map<number, string>();
  for (const error of readErrors(body)) {
    const match = /^contacts\[(\d+)\]/.exec(error.field ?? '');
    if (match) invalid.set(Number(match[1]), `${error.field}: ${error.message ?? 'invalid'}`);
  }
  return invalid;
}
