import pg from 'pg';
import { readCommonSqlType, SqlWarehouseStore, WarehouseWriter, type SqlDialect } from '@switchyard/sdk-kit/warehouse';
import { isAlreadyExists, toConnectorError } from './pg-errors.js';
import type { PostgresSettings } from './settings.js';

export const POSTGRES_DIALECT: SqlDialect = {
  columnType: { boolean: 'boolean', bigint: 'bigint', double: 'double precision', timestamp: 'timestamptz', text: 'text', json: 'jsonb' },
  readType: readCommonSqlType,
  placeholder: (index) => `$${index}`,
  // The wire protocol counts bound values in an unsigned 16-bit field.
  maxParameters: 65_535,
  maxRowsPerInsert: 1000,
  isAlreadyExists,
};

interface Warehouse {
  pool: pg.Pool;
  writer: WarehouseWriter;
}

// PostgreSQL text cannot hold U+0000 (and jsonb not its \u0000 escape); other warehouses keep it, we drop it.
// PostgreSQL text cannot hold NUL, raw or JSON-escaped: both are stripped.
// eslint-disable-next-line no-control-regex
const NUL = /\u0000|\\u0000/g;
const withoutNul = (value: unknown) => (typeof value === 'string' ? value.replace(NUL, '') : value);

// One pool per connection and worker thread, reused across batches.
const warehouses = new Map<string, Warehouse>();

function poolConfig(s: PostgresSettings): pg.PoolConfig {
  const common = { max: 4, connectionTimeoutMillis: 10_000, idleTimeoutMillis: 30_000, allowExitOnIdle: true, application_name: 'switchyard' };
  if (s.connectionString) return { ...common, connectionString: s.connectionString, ...(s.ssl ? { ssl: true } : {}) };
  return {
    ...common,
    host: s.host,
    port: s.port,
    user: s.user,
    password: s.password,
    database: s.database,
    ...(s.ssl ? { ssl: true } : {}),
  };
}

/** The writer for these settings, creating its pool on first use. */
export function warehouseFor(connectionId: string, settings: PostgresSettings): WarehouseWriter {
  const key = `${connectionId}\0${JSON.stringify(settings)}`;
  let warehouse = warehouses.get(key);
  if (!warehouse) {
    const pool = new pg.Pool(poolConfig(settings));
    // An idle client losing its connection must not crash the worker; the next query reconnects.
    pool.on('error', () => {});
    const store = new SqlWarehouseStore(POSTGRES_DIALECT, settings.schema, async (sql, params) => {
      try {
        return (await pool.query(sql, params?.map(withoutNul))).rows as Array<Record<string, unknown>>;
      } catch (error) {
        throw toConnectorError(error, `schema "${settings.schema}"`);
      }
    });
    warehouse = { pool, writer: new WarehouseWriter(store) };
    warehouses.set(key, warehouse);
  }
  return warehouse.writer;
}

/** Closes every pool this thread opened (tests, shutdown). */
export async function closeWarehouses(): Promise<void> {
  const open = [...warehouses.values()];
  warehouses.clear();
  await Promise.all(open.map((w) => w.pool.end()));
}
