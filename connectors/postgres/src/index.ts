import { defineConnector, Type } from '@switchyard/sdk-kit';
import { warehouseConnectorParts } from '@switchyard/sdk-kit/warehouse';
import { warehouseFor, type PostgresSettings } from './pg-store.js';

export { closeWarehouses, POSTGRES_DIALECT } from './pg-store.js';
export { toConnectorError } from './pg-errors.js';

const settings = Type.Object({
  connectionString: Type.Optional(Type.String({
    secret: true, minLength: 1, description: 'postgres://user:password@host:5432/db; used instead of host/port/user/password/database.',
  })),
  host: Type.Optional(Type.String({ minLength: 1, description: 'Server host name or IP.' })),
  port: Type.Integer({ minimum: 1, maximum: 65535, default: 5432 }),
  user: Type.Optional(Type.String({ minLength: 1 })),
  password: Type.Optional(Type.String({ secret: true })),
  database: Type.Optional(Type.String({ minLength: 1 })),
  ssl: Type.Boolean({ default: false, description: 'Connect over TLS, verifying the server certificate.' }),
  schema: Type.String({
    pattern: '^[a-z_][a-z0-9_]{0,62}$', default: 'switchyard',
    description: 'Schema the tables are created in (created if missing).',
  }),
}, {
  additionalProperties: false,
  anyOf: [{ required: ['connectionString'] }, { required: ['host'] }],
});

export default defineConnector({
  name: 'postgres',
  version: '0.1.0',
  category: 'warehouse',
  description: 'Loads events into PostgreSQL tables (one per event type), adding columns as new properties arrive.',
  settings,
  // Not HTTP: the database connection does not go through the egress-fenced client.
  egress: [],
  defaults: { maxConcurrency: 4, requestTimeoutMs: 60_000 },
  ...warehouseConnectorParts((ctx) => warehouseFor(ctx.connectionId, ctx.settings as PostgresSettings), { maxItems: 1000 }),
});
