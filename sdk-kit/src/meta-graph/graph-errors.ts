import { AuthenticationError, PermanentError, RateLimitedError, RetryableError, errorForHttpStatus, type ConnectorError } from '../index.js';

/** The error object the Graph API returns in the body of a failed request. */
export interface GraphError {
  message?: string;
  type?: string;
  code?: number;
  error_subcode?: number;
  is_transient?: boolean;
  error_user_msg?: string;
  fbtrace_id?: string;
}

// Application, user, page, custom-level and ads-insights throttling codes.
const RATE_LIMIT_CODES = new Set([4, 17, 32, 613, 80004]);
// 190: access token invalid or expired; 102: session; 10 and 200–299: permission not granted.
const isAuthCode = (code: number) => code === 190 || code === 102 || code === 10 || (code >= 200 && code <= 299);

interface HttpErrorShape {
  response?: { statusCode?: number; headers?: Record<string, string | string[] | undefined>; body?: unknown };
}

/** Reads `{"error":{…}}` from a failed Graph API response; undefined when the body is not one. */
export function readGraphError(body: unknown): GraphError | undefined {
  let parsed: unknown = body;
  if (typeof body === 'string' || body instanceof Uint8Array) {
    try {
      parsed = JSON.parse(String(body));
    } catch {
      return undefined;
    }
  }
  const error = (parsed as { error?: unknown } | null)?.error;
  return error && typeof error === 'object' ? (error as GraphError) : undefined;
}

/**
 * Meta reports throttling in `X-Business-Use-Case-Usage` as minutes until access is regained;
 * the largest value across the listed business ids is how long to wait.
 */
export function retryAfterFromUsageHeader(value: string | string[] | undefined): number | undefined {
  const header = Array.isArray(value) ? value[0] : value;
  if (!header) return undefined;
  try {
    const usage = JSON.parse(header) as Record<string, Array<{ estimated_time_to_regain_access?: number }>>;
    const minutes = Object.values(usage)
      .flat()
      .map((u) => Number(u.estimated_time_to_regain_access ?? 0));
    const longest = Math.max(0, ...minutes.filter(Number.isFinite));
    return longest > 0 ? longest * 60_000 : undefined;
  } catch {
    return undefined;
  }
}

/** Maps a Graph API error (code, is_transient) to the retry contract; the HTTP status decides otherwise. */
export function graphErrorToConnectorError(error: GraphError, status: number, headers: Record<string, string | string[] | undefined> = {}): ConnectorError {
  const code = Number(error.code);
  const detail = [error.message, error.error_user_msg].filter(Boolean).join(' — ');
  const where = `Graph API error ${code}${error.error_subcode ? `/${error.error_subcode}` : ''}`;
  const message = `${where}: ${detail || 'no message'}${error.fbtrace_id ? ` (fbtrace_id ${error.fbtrace_id})` : ''}`;
  const options = { code: `GRAPH_${code}`, httpStatus: status };
  if (RATE_LIMIT_CODES.has(code)) {
    return new RateLimitedError(message, { ...options, retryAfterMs: retryAfterFromUsageHeader(headers['x-business-use-case-usage']) });
  }
  if (isAuthCode(code)) return new AuthenticationError(`${message}; check the access token and its permissions`, options);
  if (error.is_transient === true || code === 1 || code === 2) return new RetryableError(message, options);
  if (code === 100) return new PermanentError(message, options);
  return errorForHttpStatus(status, headers, message) ?? new PermanentError(message, options);
}

/** Rethrows a got HTTPError carrying a Graph error body as the matching connector error. */
export function toGraphError(thrown: unknown): unknown {
  const response = (thrown as HttpErrorShape | null)?.response;
  if (response?.statusCode === undefined) return thrown;
  const graphError = readGraphError(response.body);
  return graphError ? graphErrorToConnectorError(graphError, response.statusCode, response.headers ?? {}) : thrown;
}
