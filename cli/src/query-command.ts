import { join } from 'node:path';
import type { QueryResult } from '@switchyard/connector-duckdb';
import { loadConfig } from '@switchyard/core';
import { CONNECTOR_DIRS } from './connector-dirs.js';
import { failWith } from './start-command.js';

/** `switchyard query "<sql>"`: reads the embedded DuckDB warehouse of a config's duckdb connection. */
export async function runQuery(sql: string, options: { config: string; connection?: string; json?: boolean }): Promise<void> {
  let config;
  try {
    config = await loadConfig(options.config, process.env, { connectorDirs: CONNECTOR_DIRS });
  } catch (error) {
    failWith(error);
  }
  const duckdb = config.connections.filter((c) => c.connector.name === 'duckdb' && (!options.connection || c.id === options.connection));
  if (duckdb.length !== 1) {
    failWith(
      new Error(
        duckdb.length === 0
          ? `${options.config} has no duckdb connection${options.connection ? ` with id "${options.connection}"` : ''}`
          : `${options.config} has several duckdb connections (${duckdb.map((c) => c.id).join(', ')}); pick one with --connection`,
      ),
    );
  }
  const connection = duckdb[0]!;
  // Loaded on demand: DuckDB's native binding is only needed by this command.
  const { queryWarehouse, warehousePath } = await import('@switchyard/connector-duckdb');
  const file = warehousePath(join(config.storageDir, 'connections', connection.id), connection.settings as Parameters<typeof warehousePath>[1]);
  const result = await queryWarehouse(file, sql);
  if (options.json) {
    const rows = result.rows.map((row) => Object.fromEntries(result.columns.map((c, i) => [c, row[i]])));
    process.stdout.write(`${JSON.stringify(rows, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`);
    return;
  }
  printTable(result);
}

function printTable({ columns, rows }: QueryResult): void {
  const cells = rows.map((row) =>
    row.map((v) =>
      v === null || v === undefined
        ? 'NULL'
        : typeof v === 'object'
          ? JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x))
          : String(v),
    ),
  );
  const widths = columns.map((c, i) => Math.min(60, Math.max(c.length, ...cells.map((r) => r[i]!.length))));
  const line = (values: string[]) => values.map((v, i) => v.slice(0, 60).padEnd(widths[i]!)).join(' | ');
  process.stdout.write(`${line(columns)}\n${widths.map((w) => '-'.repeat(w)).join('-+-')}\n`);
  for (const row of cells) process.stdout.write(`${line(row)}\n`);
  process.stdout.write(`(${rows.length} row${rows.length === 1 ? '' : 's'})\n`);
}
