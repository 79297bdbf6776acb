import {
  AuthenticationError,
  PermanentError,
  RateLimitedError,
  RetryableError,
  errorForHttpStatus,
  parseRetryAfter,
  type ItemResult,
} from '@switchyard/sdk-kit';

/** The error body every BigQuery REST method returns. */
interface GoogleErrorBody {
  error?: { code?: number; message?: string; status?: string; errors?: Array<{ reason?: string; message?: string }> };
}

interface HttpErrorShape {
  response?: { statusCode?: number; headers?: Record<string, string | string[] | undefined>; body?: unknown };
}

const RATE_LIMIT_REASONS = new Set(['rateLimitExceeded', 'quotaExceeded']);
const RETRYABLE_ROW_REASONS = new Set(['stopped', 'timeout', 'backendError', 'internalError']);

function readBody(body: unknown): GoogleErrorBody['error'] {
  try {
    const parsed = typeof body === 'string' || body instanceof Uint8Array ? JSON.parse(String(body)) : body;
    return (parsed as GoogleErrorBody | null)?.error;
  } catch {
    return undefined;
  }
}

/** Rethrows a failed BigQuery call as the matching connector error; `what` says which call, for the message. */
export function toBigQueryError(thrown: unknown, what: string): unknown {
  const response = (thrown as HttpErrorShape | null)?.response;
  if (response?.statusCode === undefined) return thrown;
  const status = response.statusCode;
  const error = readBody(response.body);
  const reason = error?.errors?.[0]?.reason ?? error?.status ?? '';
  const detail = error?.message ?? '';
  const message = `BigQuery ${what}: HTTP ${status}${reason ? ` ${reason}` : ''}${detail ? `: ${detail}` : ''}`;
  const options = { code: `BIGQUERY_${reason || status}`, httpStatus: status };
  if (status === 401) return new AuthenticationError(`${message}; check settings.serviceAccountKey`, options);
  if ((status === 403 || status === 429) && RATE_LIMIT_REASONS.has(reason)) {
    return new RateLimitedError(message, {
      ...options,
      retryAfterMs: parseRetryAfter(response.headers?.['retry-after']) ?? (reason === 'quotaExceeded' ? 60_000 : 10_000),
    });
  }
  if (status === 403) return new AuthenticationError(`${message}; grant the service account BigQuery Data Editor and Job User on the project`, options);
  if (status === 404) {
    if (/Dataset/i.test(detail)) return new PermanentError(`${message}; create the dataset or fix settings.projectId/datasetId`, options);
    // A table created moments ago can be briefly invisible to streaming inserts; the next attempt re-checks the schema.
    return new RetryableError(`${message}; the table will be re-created if it was deleted`, options);
  }
  if (status === 400 && /streaming buffer/i.test(detail)) {
    // DML cannot touch rows still in the streaming buffer (up to ~90 minutes after insert).
    return new RetryableError(`${message}; retrying once the rows leave the streaming buffer`, {
      ...options,
      code: 'BIGQUERY_STREAMING_BUFFER',
      retryAfterMs: 30 * 60_000,
    });
  }
  return errorForHttpStatus(status, response.headers ?? {}, `${reason} ${detail}`.trim()) ?? new PermanentError(message, options);
}

/** True when a DDL call failed only because another writer already made the table or column. */
export function isAlreadyExists(error: unknown): boolean {
  return (error as { httpStatus?: number } | null)?.httpStatus === 409 || /Already Exists/i.test(String((error as Error)?.message));
}

/** The result for one row that insertAll rejected, from its `insertErrors[].errors`. */
export function rowErrorResult(errors: Array<{ reason?: string; message?: string; location?: string }>): ItemResult {
  const first = errors.find((e) => e.reason !== 'stopped') ?? errors[0] ?? {};
  const reason = first.reason ?? 'unknown';
  const message = `BigQuery rejected the row: ${reason}${first.location ? ` at ${first.location}` : ''}${first.message ? `: ${first.message}` : ''}`;
  // New columns take a little while to reach the streaming backend.
  if (RETRYABLE_ROW_REASONS.has(reason) || /no such field/i.test(first.message ?? '')) {
    return { status: 'retryable', code: `BIGQUERY_ROW_${reason}`, message };
  }
  return { status: 'permanent', code: `BIGQUERY_ROW_${reason}`, message };
}
