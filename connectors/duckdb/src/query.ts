import { existsSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';

export interface QueryResult {
  columns: string[];
  rows: unknown[][];
}

/** Raised with a message an operator can act on; `code` says which case it is. */
export class WarehouseQueryError extends Error {
  constructor(
    message: string,
    readonly code: 'WAREHOUSE_NOT_FOUND' | 'WAREHOUSE_LOCKED' | 'QUERY_FAILED',
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'WarehouseQueryError';
  }
}

/**
 * Runs one SQL statement against a DuckDB warehouse file opened read-only, for `switchyard query`.
 * Values come back JSON-ready: BIGINT as strings, timestamps as ISO-like strings, JSON as text.
 */
export async function queryWarehouse(path: string, sql: string): Promise<QueryResult> {
  if (!existsSync(path)) {
    throw new WarehouseQueryError(
      `no DuckDB warehouse at ${path}: the file is created when the duckdb connection delivers its first event; check the connection's path setting`,
      'WAREHOUSE_NOT_FOUND',
    );
  }
  let instance: DuckDBInstance;
  try {
    instance = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' });
  } catch (error) {
    const message = (error as Error).message ?? String(error);
    if (/Could not set lock/.test(message)) {
      const pid = /\(PID (\d+)\)/.exec(message)?.[1];
      throw new WarehouseQueryError(
        `the warehouse ${path} is open for writing by another process${pid ? ` (PID ${pid}, most likely the running Switchyard router)` : ''}; DuckDB lets no other process read a file while one writes it. Stop the router and run the query again, or query a copy of the file taken while the router was stopped`,
        'WAREHOUSE_LOCKED',
        { cause: error },
      );
    }
    throw new WarehouseQueryError(`cannot open the warehouse ${path}: ${message.split('\n')[0]}`, 'QUERY_FAILED', { cause: error });
  }
  const connection = await instance.connect();
  try {
    const reader = await connection.runAndReadAll(sql);
    return { columns: reader.columnNames(), rows: reader.getRowsJson() };
  } catch (error) {
    throw new WarehouseQueryError(`query failed: ${(error as Error).message}`, 'QUERY_FAILED', { cause: error });
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
