import { AuthenticationError, PermanentError, RetryableError } from '@switchyard/sdk-kit';

interface PgErrorShape {
  code?: string;
  message?: string;
  errors?: unknown[];
}

const RETRYABLE_CODES = new Set(['57P01', '57P02', '57P03', '40001', '40P01', '55P03', '55006']);

/**
 * Maps a PostgreSQL error (SQLSTATE) or a socket error to the retry contract: connection (08) and
 * resource (53) classes and server restarts are retryable; credentials (28) and an unknown database
 * mark the connection unhealthy; syntax, access and data errors (42, 22, 23) are permanent.
 */
export function toConnectorError(error: unknown, where: string): unknown {
  const { code, message = String(error) } = (error ?? {}) as PgErrorShape;
  if (typeof code !== 'string') {
    // pg reports a dropped connection as a plain Error without a code.
    if (/Connection terminated|connection timeout|Client has encountered a connection error/i.test(message)) {
      return new RetryableError(`PostgreSQL ${where}: ${message}`, { code: 'PG_CONNECTION_LOST', cause: error });
    }
    return error;
  }
  const options = { code: `PG_${code}`, cause: error };
  if (/^E[A-Z]+$/.test(code)) {
    return new RetryableError(`PostgreSQL ${where}: cannot reach the server (${code}); check settings.host/port and that PostgreSQL is running`, {
      ...options,
      code: `NETWORK_${code}`,
    });
  }
  if (code.startsWith('08') || code.startsWith('53') || RETRYABLE_CODES.has(code)) {
    return new RetryableError(`PostgreSQL ${where}: ${message} (SQLSTATE ${code})`, options);
  }
  if (code.startsWith('28')) {
    return new AuthenticationError(`PostgreSQL ${where}: ${message} (SQLSTATE ${code}); check settings.user and settings.password`, options);
  }
  if (code === '3D000') {
    return new AuthenticationError(`PostgreSQL ${where}: ${message} (SQLSTATE ${code}); check settings.database`, options);
  }
  return new PermanentError(`PostgreSQL ${where}: ${message} (SQLSTATE ${code})`, options);
}

/** Another writer created the same table or column at the same moment: not an error for IF NOT EXISTS DDL. */
export function isAlreadyExists(error: unknown): boolean {
  const code = (error as { code?: string; cause?: { code?: string } } | null)?.cause?.code;
  return code === '42P07' || code === '42701' || code === '23505' || code === '42P06';
}
