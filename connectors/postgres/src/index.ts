import { defineConnector } from '@switchyard/sdk-kit';
import { warehouseConnectorParts } from '@switchyard/sdk-kit/warehouse';
import { warehouseFor } from './pg-store.js';
import { settings, type PostgresSettings } from './settings.js';

export { closeWarehouses, POSTGRES_DIALECT } from './pg-store.js';
export { toConnectorError } from './pg-errors.js';

export default defineConnector({
  name: 'postgres',
  version: '0.1.0',
  category: 'warehouse',
  description: 'Loads events into PostgreSQL tables (one per event type), adding columns as new properties arrive; keeps audience memberships.',
  settings,
  // Not HTTP: the database connection does not go through the egress-fenced client.
  egress: [],
  defaults: { maxConcurrency: 4, requestTimeoutMs: 60_000 },
  ...warehouseConnectorParts<PostgresSettings>((ctx) => warehouseFor(ctx.connectionId, ctx.settings), { maxItems: 1000 }, { audiences: true }),
});
