import { isAbsolute, dirname, join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { DuckDBInstance, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import { readCommonSqlType, SqlWarehouseStore, WarehouseWriter, type SqlDialect } from '@switchyard/sdk-kit/warehouse';
import { isAlreadyExists, toConnectorError } from './duckdb-errors.js';
import type { DuckDbSettings } from './settings.js';

const TYPES = { boolean: 'BOOLEAN', bigint: 'BIGINT', double: 'DOUBLE', timestamp: 'TIMESTAMPTZ', text: 'VARCHAR', json: 'JSON' } as const;

export const DUCKDB_DIALECT: SqlDialect = {
  columnType: TYPES,
  readType: readCommonSqlType,
  // Parameters in a VALUES list are untyped in DuckDB: cast so timestamps and JSON arrive as such.
  placeholder: (index, type) => `CAST($${index} AS ${TYPES[type]})`,
  maxRowsPerInsert: 500,
  isAlreadyExists,
};

export const DEFAULT_FILE_NAME = 'warehouse.duckdb';

/** Where the warehouse file is: `path` (relative to the connection's data directory) or `warehouse.duckdb` there. */
export function warehousePath(dataDir: string, settings: DuckDbSettings): string {
  if (!settings.path) return join(dataDir, DEFAULT_FILE_NAME);
  return isAbsolute(settings.path) ? settings.path : join(dataDir, settings.path);
}

interface Warehouse {
  instance: DuckDBInstance;
  connection: DuckDBConnection;
  writer: WarehouseWriter;
  queue: Promise<unknown>;
}

// One instance and connection per file and worker thread; the connector runs in one worker (defaults.maxWorkers)
// because DuckDB lets one process at a time write a file.
const warehouses = new Map<string, Promise<Warehouse>>();

async function open(file: string, schema: string): Promise<Warehouse> {
  mkdirSync(dirname(file), { recursive: true });
  let instance: DuckDBInstance;
  try {
    instance = await DuckDBInstance.create(file);
  } catch (error) {
    throw toConnectorError(error, `opening ${file}`);
  }
  const connection = await instance.connect();
  const warehouse: Warehouse = { instance, connection, writer: undefined as never, queue: Promise.resolve() };
  const store = new SqlWarehouseStore(DUCKDB_DIALECT, schema, (sql, params) => {
    // One connection runs one statement at a time; batches of concurrent tasks wait their turn.
    const next = warehouse.queue.then(async () => {
      try {
        const reader = await connection.runAndReadAll(sql, params as DuckDBValue[] | undefined);
        return reader.getRowObjectsJS() as Array<Record<string, unknown>>;
      } catch (error) {
        throw toConnectorError(error, `schema "${schema}" in ${file}`);
      }
    });
    warehouse.queue = next.catch(() => undefined);
    return next;
  });
  warehouse.writer = new WarehouseWriter(store);
  return warehouse;
}

/** The writer for this file and schema, opening the file on first use. */
export async function warehouseFor(dataDir: string, settings: DuckDbSettings): Promise<WarehouseWriter> {
  const file = warehousePath(dataDir, settings);
  const key = `${file}\0${settings.schema}`;
  let warehouse = warehouses.get(key);
  if (!warehouse) {
    warehouse = open(file, settings.schema);
    warehouses.set(key, warehouse);
    // A failed open (file locked by another process) is retried on the next batch.
    warehouse.catch(() => warehouses.delete(key));
  }
  return (await warehouse).writer;
}

/** Closes every file this thread opened, releasing DuckDB's write lock (tests, shutdown). */
export async function closeWarehouses(): Promise<void> {
  const open = [...warehouses.values()];
  warehouses.clear();
  for (const pending of open) {
    const warehouse = await pending.catch(() => undefined);
    if (!warehouse) continue;
    await warehouse.queue;
    warehouse.connection.closeSync();
    warehouse.instance.closeSync();
  }
}
