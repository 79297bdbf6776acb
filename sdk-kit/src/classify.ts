import { ConnectorError } from './errors.js';
import { errorForHttpStatus } from './http-status.js';
import type { ItemResult } from './types.js';

interface HttpLikeError {
  name?: string;
  code?: string;
  message?: string;
  response?: { statusCode?: number; headers?: Record<string, string | string[] | undefined>; body?: unknown };
}

function bodyDetail(body: unknown): string {
  if (typeof body === 'string') return body.slice(0, 200);
  if (body instanceof Uint8Array) return Buffer.from(body).toString('utf8', 0, 200);
  if (body && typeof body === 'object') return JSON.stringify(body).slice(0, 200);
  return '';
}

/**
 * Turns whatever a connector threw into a plain result the runtime acts on. Errors are matched by shape,
 * not class, because a connector may bundle its own copy of got or of this kit.
 */
export function classifyError(error: unknown): ItemResult {
  const declared = findConnectorError(error);
  if (declared) return declared.toResult();
  const candidate = (error ?? {}) as HttpLikeError;
  if (candidate.response?.statusCode !== undefined) {
    const { statusCode, headers, body } = candidate.response;
    const mapped = errorForHttpStatus(statusCode, headers ?? {}, bodyDetail(body));
    if (mapped) return mapped.toResult();
  }
  if (candidate.name === 'TimeoutError' || candidate.code === 'ETIMEDOUT') {
    return { status: 'retryable', code: 'TIMEOUT', message: candidate.message ?? 'request timed out' };
  }
  if (typeof candidate.code === 'string' && /^E[A-Z_]+$/.test(candidate.code) && !candidate.code.startsWith('ERR_')) {
    return { status: 'retryable', code: `NETWORK_${candidate.code}`, message: candidate.message ?? candidate.code };
  }
  // An unexpected throw may be transient; retries are bounded by max attempts, then dead letter.
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return { status: 'retryable', code: 'CONNECTOR_THREW', message };
}

const OUTCOMES = new Set(['retryable', 'rate_limited', 'permanent', 'authentication']);

/**
 * A connector package installed on its own (loaded by path) has its own copy of this kit, whose
 * ConnectorError is another class: recognise the shape, not only this copy's class.
 */
function isConnectorError(value: unknown): value is ConnectorError {
  if (value instanceof ConnectorError) return true;
  const candidate = value as { outcome?: unknown; toResult?: unknown } | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.toResult === 'function' &&
    typeof candidate.outcome === 'string' &&
    OUTCOMES.has(candidate.outcome)
  );
}

/** got wraps errors thrown in its hooks (egress refusal) in a RequestError; look through `cause`. */
function findConnectorError(error: unknown): ConnectorError | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth += 1) {
    if (isConnectorError(current)) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
