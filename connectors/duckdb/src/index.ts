import { defineConnector } from '@switchyard/sdk-kit';
import { warehouseConnectorParts } from '@switchyard/sdk-kit/warehouse';
import { warehouseFor } from './duckdb-store.js';
import { settings, type DuckDbSettings } from './settings.js';

export { closeWarehouses, warehousePath, DUCKDB_DIALECT, DEFAULT_FILE_NAME } from './duckdb-store.js';
export { queryWarehouse, WarehouseQueryError, type QueryResult } from './query.js';

export default defineConnector({
  name: 'duckdb',
  version: '0.1.0',
  category: 'warehouse',
  description: 'The embedded warehouse: loads events into a local DuckDB file, one table per event type, and keeps audience memberships; no server needed.',
  settings,
  egress: [],
  // The file stays on this machine: allowed under any residency setting.
  regions: ['local'],
  // DuckDB lets one process write a file, and the router's workers are threads of one process: one worker
  // keeps one connection per file.
  defaults: { maxWorkers: 1, maxConcurrency: 1, requestTimeoutMs: 60_000 },
  ...warehouseConnectorParts<DuckDbSettings>((ctx) => warehouseFor(ctx.dataDir, ctx.settings), { maxItems: 1000 }, { audiences: true }),
});
