import {
  quoteIdentifier,
  readCommonSqlType,
  SqlWarehouseStore,
  type ColumnDefinition,
  type SqlDialect,
  type WarehouseType,
} from '@switchyard/sdk-kit/warehouse';
import type { DataApi } from './data-api.js';

const TYPES: Record<WarehouseType, string> = {
  boolean: 'BOOLEAN',
  bigint: 'BIGINT',
  double: 'DOUBLE PRECISION',
  timestamp: 'TIMESTAMPTZ',
  // Redshift's VARCHAR counts bytes and defaults to 256: take the maximum.
  text: 'VARCHAR(65535)',
  json: 'SUPER',
};

/** Data API parameters are untyped text: every placeholder says what it becomes. */
const placeholder = (index: number, type: WarehouseType) => (type === 'json' ? `JSON_PARSE(:p${index})` : `CAST(:p${index} AS ${TYPES[type]})`);

export const REDSHIFT_DIALECT: SqlDialect = {
  columnType: TYPES,
  readType: (dataType) => (dataType.toLowerCase() === 'super' ? 'json' : readCommonSqlType(dataType)),
  placeholder,
  maxRowsPerInsert: 500,
  // Keeps one statement's text and parameters well under the Data API's 100 KB limit.
  maxParameters: 2000,
  addColumnIfNotExists: false,
  isAlreadyExists: (error) => /already exists/i.test(String((error as Error | null)?.message)),
  // Redshift has neither ON CONFLICT nor enforced keys: insert only the rows whose key is not there yet.
  insertSkippingExisting: (table, columns, rows, key) => {
    const selects = rows.map((row) => `SELECT ${row.map((value, i) => `${value} AS ${columns[i]}`).join(', ')}`).join(' UNION ALL ');
    const matches = key.map((k) => `t.${k} = s.${k}`).join(' AND ');
    return `INSERT INTO ${table} (${columns.join(', ')}) SELECT ${columns.map((c) => `s.${c}`).join(', ')} FROM (${selects}) s WHERE NOT EXISTS (SELECT 1 FROM ${table} t WHERE ${matches})`;
  },
};

/**
 * The Data API takes named parameters and refuses an empty or missing value, so nulls and empty strings go into the
 * SQL as literals; every other value becomes parameter `pN` (for `:pN`, and for the shared store's `$N`).
 */
export function bindParameters(sql: string, params: unknown[]): { sql: string; parameters: Array<{ name: string; value: string }> } {
  const parameters: Array<{ name: string; value: string }> = [];
  const text = sql.replace(/(?::p|\$)(\d+)\b/g, (_placeholder, n: string) => {
    const value = params[Number(n) - 1];
    if (value === null || value === undefined) return 'NULL';
    if (value === '') return "''";
    parameters.push({ name: `p${n}`, value: String(value) });
    return `:p${n}`;
  });
  return { sql: text, parameters };
}

/** The shared SQL warehouse store, run through the Data API. */
export class RedshiftStore extends SqlWarehouseStore {
  constructor(
    private readonly api: DataApi,
    private readonly schema: string,
  ) {
    super(REDSHIFT_DIALECT, schema, (sql, params = []) => {
      const bound = bindParameters(sql, params);
      return api.execute(bound.sql, bound.parameters);
    });
  }

  /** The schema and the table in one BatchExecuteStatement: one round trip, one transaction. */
  override async createTable(table: string, columns: ColumnDefinition[], primaryKey: string[]): Promise<void> {
    const q = quoteIdentifier;
    const definitions = columns.map((c) => `${q(c.name)} ${TYPES[c.type]}${primaryKey.includes(c.name) ? ' NOT NULL' : ''}`);
    definitions.push(`PRIMARY KEY (${primaryKey.map(q).join(', ')})`);
    await this.api.executeBatch([
      `CREATE SCHEMA IF NOT EXISTS ${q(this.schema)}`,
      `CREATE TABLE IF NOT EXISTS ${q(this.schema)}.${q(table)} (${definitions.join(', ')})`,
    ]);
  }
}
