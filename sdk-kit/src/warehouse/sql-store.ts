import { MEMBERSHIPS_PRIMARY_KEY as MEMBERSHIPS_KEY } from './audience-memberships.js';
import type { WarehouseType } from './column-types.js';
import { DISCARDS_PRIMARY_KEY, DISCARDS_TABLE, type ColumnDefinition, type TableColumns, type WarehouseSchema } from './schema-plan.js';
import type { IdentityCondition, WarehouseStore } from './warehouse-writer.js';

/** How one SQL database spells the warehouse types and bound parameters. */
export interface SqlDialect {
  columnType: Record<WarehouseType, string>;
  /** Reads `information_schema.columns.data_type` back; undefined for types Switchyard does not write. */
  readType(dataType: string): WarehouseType | undefined;
  /** The placeholder for the n-th (1-based) bound value going into a column of this type. */
  placeholder(index: number, type: WarehouseType): string;
  maxParameters?: number;
  maxRowsPerInsert?: number;
  /** True for the error another writer's identical DDL causes in a race (duplicate table or column). */
  isAlreadyExists?(error: unknown): boolean;
  /** False for databases without `ADD COLUMN IF NOT EXISTS` (Redshift): columns are added plainly and `isAlreadyExists` covers a race. */
  addColumnIfNotExists?: boolean;
  /**
   * The statement inserting `rows` (placeholders, one list per row, in column order) and skipping rows whose `key` is
   * already in the table, for databases without ON CONFLICT DO NOTHING; default: INSERT … ON CONFLICT DO NOTHING.
   */
  insertSkippingExisting?(table: string, columns: string[], rows: string[][], key: string[]): string;
}

/** Runs one statement with bound values; returns result rows as objects keyed by column name. */
export type RunSql = (sql: string, params?: unknown[]) => Promise<Array<Record<string, unknown>>>;

/** Quotes an identifier; names are already snake_case, quoting guards against reserved words. */
export const quoteIdentifier = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * How every warehouse store spells one identity condition, given the quoted column and the SQL list of its
 * values (`($1, $2)`, `UNNEST(@v0)`): emails compare trimmed and lower-cased, ids exactly.
 */
export function identityPredicate(quotedColumn: string, condition: IdentityCondition, list: string): string {
  return `${condition.caseInsensitive ? `lower(trim(${quotedColumn}))` : quotedColumn} IN ${list}`;
}

/** Types written by other tools that still hold our values, read as the nearest warehouse type. */
export function readCommonSqlType(dataType: string): WarehouseType | undefined {
  const t = dataType.toLowerCase();
  if (t === 'boolean' || t === 'bool') return 'boolean';
  if (/^(bigint|int8|integer|int|int4|smallint|int2|hugeint|long)$/.test(t)) return 'bigint';
  if (/^(double precision|double|float8|float)$/.test(t)) return 'double';
  if (/^(timestamp with time zone|timestamptz|timestamp_tz)$/.test(t)) return 'timestamp';
  if (/^(text|varchar|character varying|string)/.test(t)) return 'text';
  if (/^(jsonb|json)$/.test(t)) return 'json';
  return undefined;
}

/**
 * A WarehouseStore over any SQL database with information_schema, IF NOT EXISTS DDL and ON CONFLICT DO NOTHING (and
 * ON CONFLICT DO UPDATE for audience memberships).
 */
export class SqlWarehouseStore implements WarehouseStore {
  readonly maxRowsPerInsert: number;
  readonly maxParameters?: number;
  private schemaCreated = false;

  constructor(
    private readonly dialect: SqlDialect,
    private readonly schemaName: string,
    private readonly run: RunSql,
  ) {
    this.maxRowsPerInsert = dialect.maxRowsPerInsert ?? 1000;
    this.maxParameters = dialect.maxParameters;
  }

  private qualified(table: string): string {
    return `${quoteIdentifier(this.schemaName)}.${quoteIdentifier(table)}`;
  }

  private async ddl(sql: string): Promise<void> {
    try {
      await this.run(sql);
    } catch (error) {
      if (!this.dialect.isAlreadyExists?.(error)) throw error;
    }
  }

  async describe(): Promise<WarehouseSchema> {
    const rows = await this.run(
      'SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = $1 AND table_catalog = current_database() ORDER BY table_name, ordinal_position',
      [this.schemaName],
    );
    const schema: WarehouseSchema = new Map();
    for (const row of rows) {
      const table = String(row.table_name);
      let columns: TableColumns | undefined = schema.get(table);
      if (!columns) {
        columns = new Map();
        schema.set(table, columns);
      }
      columns.set(String(row.column_name), this.dialect.readType(String(row.data_type)));
    }
    return schema;
  }

  async createTable(table: string, columns: ColumnDefinition[], primaryKey: string[]): Promise<void> {
    if (!this.schemaCreated) {
      await this.ddl(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(this.schemaName)}`);
      this.schemaCreated = true;
    }
    const definitions = columns.map((c) => `${quoteIdentifier(c.name)} ${this.dialect.columnType[c.type]}${primaryKey.includes(c.name) ? ' NOT NULL' : ''}`);
    definitions.push(`PRIMARY KEY (${primaryKey.map(quoteIdentifier).join(', ')})`);
    await this.ddl(`CREATE TABLE IF NOT EXISTS ${this.qualified(table)} (${definitions.join(', ')})`);
  }

  async addColumns(table: string, columns: ColumnDefinition[]): Promise<void> {
    const ifNotExists = this.dialect.addColumnIfNotExists === false ? '' : 'IF NOT EXISTS ';
    for (const c of columns) {
      await this.ddl(`ALTER TABLE ${this.qualified(table)} ADD COLUMN ${ifNotExists}${quoteIdentifier(c.name)} ${this.dialect.columnType[c.type]}`);
    }
  }

  /** A placeholder per value, one list per row, and the values in placeholder order. */
  private placeholders(columns: ColumnDefinition[], rows: unknown[][]): { params: unknown[]; placeholders: string[][] } {
    const params: unknown[] = [];
    const placeholders = rows.map((row) =>
      columns.map((c, i) => {
        params.push(row[i] ?? null);
        return this.dialect.placeholder(params.length, c.type);
      }),
    );
    return { params, placeholders };
  }

  /** `(…), (…)` with a placeholder per value, and the values in placeholder order. */
  private valueTuples(columns: ColumnDefinition[], rows: unknown[][]): { params: unknown[]; tuples: string[] } {
    const { params, placeholders } = this.placeholders(columns, rows);
    return { params, tuples: placeholders.map((row) => `(${row.join(', ')})`) };
  }

  async insert(table: string, columns: ColumnDefinition[], rows: unknown[][]): Promise<void> {
    if (rows.length === 0) return;
    const names = columns.map((c) => quoteIdentifier(c.name));
    if (this.dialect.insertSkippingExisting) {
      const { params, placeholders } = this.placeholders(columns, rows);
      const key = table === DISCARDS_TABLE ? DISCARDS_PRIMARY_KEY : ['id'];
      await this.run(this.dialect.insertSkippingExisting(this.qualified(table), names, placeholders, key.map(quoteIdentifier)), params);
      return;
    }
    const { params, tuples } = this.valueTuples(columns, rows);
    await this.run(`INSERT INTO ${this.qualified(table)} (${names.join(', ')}) VALUES ${tuples.join(', ')} ON CONFLICT DO NOTHING`, params);
  }

  /** INSERT … ON CONFLICT DO UPDATE with the membership rules of `UpsertMemberships`, guarded by `changed_at`. */
  async upsertMemberships(table: string, columns: ColumnDefinition[], rows: unknown[][], action: 'add' | 'remove'): Promise<void> {
    if (rows.length === 0) return;
    const { params, tuples } = this.valueTuples(columns, rows);
    const q = quoteIdentifier;
    const existing = (column: string) => `m.${q(column)}`;
    const proposed = (column: string) => `EXCLUDED.${q(column)}`;
    const membership =
      action === 'add'
        ? [
            // Already in: keep when they entered. Out, or never seen: they enter now.
            `${q('entered_at')} = CASE WHEN ${existing('exited_at')} IS NULL AND ${existing('entered_at')} IS NOT NULL THEN ${existing('entered_at')} ELSE ${proposed('entered_at')} END`,
            `${q('exited_at')} = NULL`,
          ]
        : [`${q('exited_at')} = CASE WHEN ${existing('exited_at')} IS NOT NULL THEN ${existing('exited_at')} ELSE ${proposed('exited_at')} END`];
    const copied = ['audience_name', 'user_id', 'anonymous_id', 'email', 'identifiers', 'changed_at', 'message_id', 'loaded_at'].filter((name) =>
      columns.some((c) => c.name === name),
    );
    const set = [...membership, ...copied.map((name) => `${q(name)} = ${proposed(name)}`)].join(', ');
    const key = MEMBERSHIPS_KEY.map(q).join(', ');
    await this.run(
      `INSERT INTO ${this.qualified(table)} AS m (${columns.map((c) => q(c.name)).join(', ')}) VALUES ${tuples.join(', ')} ` +
        `ON CONFLICT (${key}) DO UPDATE SET ${set} WHERE ${existing('changed_at')} IS NULL OR ${existing('changed_at')} <= ${proposed('changed_at')}`,
      params,
    );
  }

  async selectIds(table: string, columns: string[], where: IdentityCondition): Promise<Array<Record<string, unknown>>> {
    const params: unknown[] = [];
    return this.run(
      `SELECT DISTINCT ${columns.map(quoteIdentifier).join(', ')} FROM ${this.qualified(table)} WHERE ${this.predicates([where], params)}`,
      params,
    );
  }

  async selectWhere(table: string, conditions: IdentityCondition[]): Promise<Array<Record<string, unknown>>> {
    const params: unknown[] = [];
    return this.run(`SELECT * FROM ${this.qualified(table)} WHERE ${this.predicates(conditions, params)}`, params);
  }

  async deleteWhere(table: string, conditions: IdentityCondition[]): Promise<void> {
    const params: unknown[] = [];
    await this.run(`DELETE FROM ${this.qualified(table)} WHERE ${this.predicates(conditions, params)}`, params);
  }

  /** `a IN (…) OR lower(trim(b)) IN (…)`, pushing the bound values onto `params`. */
  private predicates(conditions: IdentityCondition[], params: unknown[]): string {
    return conditions
      .map((condition) => {
        const list = condition.values.map((v) => {
          params.push(v);
          return this.dialect.placeholder(params.length, 'text');
        });
        return identityPredicate(quoteIdentifier(condition.column), condition, `(${list.join(', ')})`);
      })
      .join(' OR ');
  }
}
