import type { ItemOutcome, ItemResult } from './types.js';

/**
 * The error classes are the whole retry contract: a connector throws (or returns) one of these and the
 * runtime knows whether to retry, wait, dead-letter, or mark the connection unhealthy.
 */
export abstract class ConnectorError extends Error {
  abstract readonly outcome: Exclude<ItemOutcome, 'ok'>;
  readonly code: string;
  readonly httpStatus?: number;
  readonly retryAfterMs?: number;

  constructor(message: string, options: { code: string; httpStatus?: number; retryAfterMs?: number; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = options.code;
    this.httpStatus = options.httpStatus;
    this.retryAfterMs = options.retryAfterMs;
  }

  toResult(): ItemResult {
    return {
      status: this.outcome,
      code: this.code,
      message: this.message,
      ...(this.retryAfterMs !== undefined ? { retryAfterMs: this.retryAfterMs } : {}),
      ...(this.httpStatus !== undefined ? { httpStatus: this.httpStatus } : {}),
    };
  }
}

/** Transient: network failure, timeout, 408/423/429/5xx (except 501). Retried with backoff. */
export class RetryableError extends ConnectorError {
  readonly outcome = 'retryable' as const;
}

/** The destination asked us to slow down. The runtime waits; the attempt is not counted. */
export class RateLimitedError extends ConnectorError {
  readonly outcome = 'rate_limited' as const;
}

/** Will never succeed as sent (bad payload, 4xx). Dead-lettered with the reason. */
export class PermanentError extends ConnectorError {
  readonly outcome = 'permanent' as const;
}

/** Credentials refused (401/403). Dead-lettered, and the connection is marked unhealthy. */
export class AuthenticationError extends ConnectorError {
  readonly outcome = 'authentication' as const;
}
