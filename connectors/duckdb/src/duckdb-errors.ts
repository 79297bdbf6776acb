import { PermanentError, RetryableError } from '@switchyard/sdk-kit';

// DuckDB prefixes every error message with its class ("Catalog Error: …").
const PERMANENT_CLASSES = /^(Catalog|Conversion|Constraint|Parser|Binder|Invalid Input|Not implemented|Out of Range|Permission) Error/;

/** Maps a DuckDB error to the retry contract: lock, I/O and memory trouble is retryable, SQL and data errors permanent. */
export function toConnectorError(error: unknown, where: string): unknown {
  const message = error instanceof Error ? error.message : String(error);
  const errorClass = /^([A-Za-z ]+ Error):/.exec(message)?.[1] ?? 'DuckDB error';
  const code = `DUCKDB_${errorClass
    .replace(/ Error$/, '')
    .toUpperCase()
    .replace(/ /g, '_')}`;
  if (/Could not set lock/.test(message)) {
    return new RetryableError(
      `DuckDB ${where}: another process holds the warehouse file open for writing; only one Switchyard router may write to a DuckDB file (${message.split('\n')[0]})`,
      { code: 'DUCKDB_LOCKED', cause: error },
    );
  }
  if (PERMANENT_CLASSES.test(message)) return new PermanentError(`DuckDB ${where}: ${message.split('\n')[0]}`, { code, cause: error });
  return new RetryableError(`DuckDB ${where}: ${message.split('\n')[0]}`, { code, cause: error });
}

/** Another writer's identical DDL: "Table with name … already exists!", "Column with name … already exists!". */
export function isAlreadyExists(error: unknown): boolean {
  const cause = (error as { cause?: unknown } | null)?.cause ?? error;
  return /^Catalog Error: .* already exists/.test(cause instanceof Error ? cause.message : String(cause));
}
