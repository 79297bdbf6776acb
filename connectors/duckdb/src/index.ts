import { defineConnector, Type } from '@switchyard/sdk-kit';
import { warehouseConnectorParts } from '@switchyard/sdk-kit/warehouse';
import { warehouseFor, type DuckDbSettings } from './duckdb-store.js';

export { closeWarehouses, warehousePath, DUCKDB_DIALECT, DEFAULT_FILE_NAME } from './duckdb-store.js';
export { queryWarehouse, WarehouseQueryError, type QueryResult } from './query.js';

const settings = Type.Object({
  path: Type.Optional(Type.String({
    minLength: 1,
    description: "The warehouse file; relative paths are inside this connection's data directory (default: its `warehouse.duckdb`).",
  })),
  schema: Type.String({
    pattern: '^[a-z_][a-z0-9_]{0,62}$', default: 'main',
    description: 'Schema the tables are created in; `main` lets queries name tables without a prefix.',
  }),
}, { additionalProperties: false });

export default defineConnector({
  name: 'duckdb',
  version: '0.1.0',
  category: 'warehouse',
  description: 'The embedded warehouse: loads events into a local DuckDB file, one table per event type, no server needed.',
  settings,
  egress: [],
  // The file stays on this machine: allowed under any residency setting.
  regions: ['local'],
  // DuckDB lets one process write a file, and the router's workers are threads of one process: one worker
  // keeps one connection per file.
  defaults: { maxWorkers: 1, maxConcurrency: 1, requestTimeoutMs: 60_000 },
  ...warehouseConnectorParts<DuckDbSettings>((ctx) => warehouseFor(ctx.dataDir, ctx.settings), { maxItems: 1000 }),
});
