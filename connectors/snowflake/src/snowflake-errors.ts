import { AuthenticationError, PermanentError, RateLimitedError, RetryableError, errorForHttpStatus, parseRetryAfter } from '@switchyard/sdk-kit';

interface HttpErrorShape {
  response?: { statusCode?: number; headers?: Record<string, string | string[] | undefined>; body?: unknown };
}

/** The body Snowflake's SQL API returns with a failed statement. */
export interface SnowflakeErrorBody {
  code?: string;
  message?: string;
  sqlState?: string;
  statementHandle?: string;
}

function readBody(body: unknown): SnowflakeErrorBody {
  try {
    const parsed = typeof body === 'string' || body instanceof Uint8Array ? JSON.parse(String(body)) : body;
    return (parsed ?? {}) as SnowflakeErrorBody;
  } catch {
    return {};
  }
}

/**
 * Maps a failed SQL API call: 401/403 → authentication (key not registered, user or role lacking grants),
 * 429 → rate limited, 422 (the statement did not compile or failed) → permanent, 408/5xx → retryable.
 */
export function toSnowflakeError(thrown: unknown, what: string): unknown {
  const response = (thrown as HttpErrorShape | null)?.response;
  if (response?.statusCode === undefined) return thrown;
  const status = response.statusCode;
  const body = readBody(response.body);
  const detail = [body.message, body.sqlState ? `SQLSTATE ${body.sqlState}` : '', body.code ? `code ${body.code}` : ''].filter(Boolean).join('; ');
  const message = `Snowflake ${what}: HTTP ${status}${detail ? `: ${detail}` : ''}`;
  const options = { code: body.code ? `SNOWFLAKE_${body.code}` : `HTTP_${status}`, httpStatus: status };
  if (status === 401 || status === 403) {
    return new AuthenticationError(`${message}; check settings.account, settings.user and that the user's RSA_PUBLIC_KEY matches settings.privateKey`, options);
  }
  if (status === 429) return new RateLimitedError(message, { ...options, retryAfterMs: parseRetryAfter(response.headers?.['retry-after']) ?? 5_000 });
  if (status === 422) return new PermanentError(message, options);
  return errorForHttpStatus(status, response.headers ?? {}, detail) ?? new RetryableError(message, options);
}

/** For a 200 whose body is not a result set (should not happen). */
export function unexpectedResponse(what: string, body: unknown): PermanentError {
  return new PermanentError(`Snowflake ${what}: unexpected response ${JSON.stringify(body).slice(0, 200)}`, { code: 'SNOWFLAKE_UNEXPECTED_RESPONSE' });
}
