import {
  DISCARDS_PRIMARY_KEY,
  DISCARDS_TABLE,
  identityPredicate,
  type ColumnDefinition,
  type IdentityCondition,
  type WarehouseSchema,
  type WarehouseStore,
  type WarehouseType,
} from '@switchyard/sdk-kit/warehouse';
import type { Binding, StatementsApi } from './statements-api.js';

const TYPES: Record<WarehouseType, string> = {
  boolean: 'BOOLEAN',
  bigint: 'NUMBER(38,0)',
  double: 'FLOAT',
  timestamp: 'TIMESTAMP_TZ',
  text: 'VARCHAR',
  json: 'VARIANT',
};

// Every value is bound as text and converted in SQL: VARIANT cannot be bound, and text keeps timestamps exact.
const CONVERT: Record<WarehouseType, (column: string) => string> = {
  boolean: (c) => `TO_BOOLEAN(${c})`,
  bigint: (c) => `TO_NUMBER(${c})`,
  double: (c) => `TO_DOUBLE(${c})`,
  timestamp: (c) => `TO_TIMESTAMP_TZ(${c})`,
  text: (c) => c,
  json: (c) => `PARSE_JSON(${c})`,
};

/** Reads information_schema.columns back into a warehouse type. */
export function readSnowflakeType(dataType: string, numericScale: string | null): WarehouseType | undefined {
  const t = dataType.toUpperCase();
  if (t === 'BOOLEAN') return 'boolean';
  if (t === 'NUMBER') return numericScale === null || numericScale === '0' ? 'bigint' : undefined;
  if (t === 'FLOAT') return 'double';
  if (t === 'TIMESTAMP_TZ') return 'timestamp';
  if (t === 'TEXT') return 'text';
  if (t === 'VARIANT') return 'json';
  return undefined;
}

/** Upper-case quoted names are what Snowflake stores for unquoted ones: `SELECT * FROM order_completed` works. */
const quote = (name: string) => `"${name.toUpperCase()}"`;

/** Most bound values in one statement; keeps request bodies well under the API's size limit. */
export const MAX_BINDINGS = 10_000;

/**
 * Tables and columns are created with DDL (IF NOT EXISTS). Snowflake does not enforce primary keys, so rows
 * are written with MERGE … WHEN NOT MATCHED THEN INSERT on the key: re-delivered messages add nothing.
 */
export class SnowflakeStore implements WarehouseStore {
  readonly maxRowsPerInsert = 1000;
  readonly maxParameters = MAX_BINDINGS;

  constructor(private readonly api: StatementsApi) {}

  private table(name: string): string {
    const { database, schema } = this.api.target;
    return `${quote(database)}.${quote(schema)}.${quote(name)}`;
  }

  async describe(): Promise<WarehouseSchema> {
    const { database, schema: schemaName } = this.api.target;
    const rows = await this.api.execute(
      `SELECT table_name, column_name, data_type, numeric_scale FROM ${quote(database)}.information_schema.columns WHERE table_schema = ? ORDER BY table_name, ordinal_position`,
      [{ type: 'TEXT', value: schemaName.toUpperCase() }],
    );
    const schema: WarehouseSchema = new Map();
    for (const row of rows) {
      const table = String(row.table_name).toLowerCase();
      if (!schema.has(table)) schema.set(table, new Map());
      schema.get(table)!.set(String(row.column_name).toLowerCase(), readSnowflakeType(String(row.data_type), row.numeric_scale ?? null));
    }
    return schema;
  }

  async createTable(table: string, columns: ColumnDefinition[], primaryKey: string[]): Promise<void> {
    const { database, schema } = this.api.target;
    await this.api.execute(`CREATE SCHEMA IF NOT EXISTS ${quote(database)}.${quote(schema)}`);
    const definitions = columns.map((c) => `${quote(c.name)} ${TYPES[c.type]}${primaryKey.includes(c.name) ? ' NOT NULL' : ''}`);
    definitions.push(`PRIMARY KEY (${primaryKey.map(quote).join(', ')})`);
    await this.api.execute(`CREATE TABLE IF NOT EXISTS ${this.table(table)} (${definitions.join(', ')})`);
  }

  async addColumns(table: string, columns: ColumnDefinition[]): Promise<void> {
    for (const c of columns) {
      await this.api.execute(`ALTER TABLE ${this.table(table)} ADD COLUMN IF NOT EXISTS ${quote(c.name)} ${TYPES[c.type]}`);
    }
  }

  async insert(table: string, columns: ColumnDefinition[], rows: unknown[][]): Promise<void> {
    if (rows.length === 0) return;
    const key = table === DISCARDS_TABLE ? DISCARDS_PRIMARY_KEY : ['id'];
    const bindings: Binding[] = rows.flatMap((row) =>
      row.map((value) => ({ type: 'TEXT' as const, value: value === null || value === undefined ? null : String(value) })),
    );
    const tuple = `(${columns.map(() => '?').join(', ')})`;
    const selected = columns.map((c, i) => `${CONVERT[c.type](`column${i + 1}`)} AS ${quote(c.name)}`).join(', ');
    const on = key.map((k) => `t.${quote(k)} = s.${quote(k)}`).join(' AND ');
    const names = columns.map((c) => quote(c.name)).join(', ');
    const values = columns.map((c) => `s.${quote(c.name)}`).join(', ');
    await this.api.execute(
      `MERGE INTO ${this.table(table)} t USING (SELECT ${selected} FROM VALUES ${rows.map(() => tuple).join(', ')}) s ON ${on} WHEN NOT MATCHED THEN INSERT (${names}) VALUES (${values})`,
      bindings,
    );
  }

  async selectIds(table: string, columns: string[], where: IdentityCondition): Promise<Array<Record<string, unknown>>> {
    const bindings: Binding[] = [];
    return this.api.execute(`SELECT DISTINCT ${columns.map(quote).join(', ')} FROM ${this.table(table)} WHERE ${predicates([where], bindings)}`, bindings);
  }

  async selectWhere(table: string, conditions: IdentityCondition[]): Promise<Array<Record<string, unknown>>> {
    const bindings: Binding[] = [];
    return this.api.execute(`SELECT * FROM ${this.table(table)} WHERE ${predicates(conditions, bindings)}`, bindings);
  }

  async deleteWhere(table: string, conditions: IdentityCondition[]): Promise<void> {
    const bindings: Binding[] = [];
    await this.api.execute(`DELETE FROM ${this.table(table)} WHERE ${predicates(conditions, bindings)}`, bindings);
  }
}

/** `"A" IN (?, ?) OR lower(trim("B")) IN (?)`, pushing the bound values onto `bindings`. */
function predicates(conditions: IdentityCondition[], bindings: Binding[]): string {
  return conditions
    .map((condition) => {
      for (const value of condition.values) bindings.push({ type: 'TEXT', value });
      return identityPredicate(quote(condition.column), condition, `(${condition.values.map(() => '?').join(', ')})`);
    })
    .join(' OR ');
}
