import type { ItemResult } from '@switchyard/sdk-kit';
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
import type { BigQueryApi } from './bigquery-api.js';
import { isAlreadyExists, rowErrorResult } from './bigquery-errors.js';

const TYPES: Record<WarehouseType, string> = {
  boolean: 'BOOL',
  bigint: 'INT64',
  double: 'FLOAT64',
  timestamp: 'TIMESTAMP',
  text: 'STRING',
  json: 'JSON',
};

/** Reads INFORMATION_SCHEMA.COLUMNS.data_type back into a warehouse type. */
export function readBigQueryType(dataType: string): WarehouseType | undefined {
  const t = dataType.toUpperCase();
  if (t === 'BOOL' || t === 'BOOLEAN') return 'boolean';
  if (t === 'INT64' || t === 'INTEGER') return 'bigint';
  if (t === 'FLOAT64' || t === 'FLOAT') return 'double';
  if (t === 'TIMESTAMP') return 'timestamp';
  if (t === 'STRING' || t.startsWith('STRING(')) return 'text';
  if (t === 'JSON') return 'json';
  return undefined;
}

/** Streaming inserts: 500 rows per request is Google's recommendation, 10 MB the hard request limit. */
export const MAX_ROWS_PER_REQUEST = 500;
export const MAX_REQUEST_BYTES = 9 * 1024 * 1024;

/**
 * Tables and columns are created by the connector with GoogleSQL DDL (IF NOT EXISTS), rows are streamed
 * with insertAll using the messageId as insertId (BigQuery's best-effort deduplication key).
 */
export class BigQueryStore implements WarehouseStore {
  readonly maxRowsPerInsert = MAX_ROWS_PER_REQUEST;

  constructor(private readonly api: BigQueryApi) {}

  private table(name: string): string {
    const { projectId, datasetId } = this.api.where;
    return `\`${projectId}.${datasetId}.${name}\``;
  }

  async describe(): Promise<WarehouseSchema> {
    const { projectId, datasetId } = this.api.where;
    const rows = await this.api.query(
      `SELECT table_name, column_name, data_type FROM \`${projectId}.${datasetId}\`.INFORMATION_SCHEMA.COLUMNS ORDER BY table_name, ordinal_position`,
    );
    const schema: WarehouseSchema = new Map();
    for (const row of rows) {
      const table = String(row.table_name);
      if (!schema.has(table)) schema.set(table, new Map());
      schema.get(table)!.set(String(row.column_name), readBigQueryType(String(row.data_type)));
    }
    return schema;
  }

  private async ddl(sql: string): Promise<void> {
    try {
      await this.api.query(sql);
    } catch (error) {
      if (!isAlreadyExists(error)) throw error;
    }
  }

  async createTable(table: string, columns: ColumnDefinition[]): Promise<void> {
    // BigQuery has no enforced keys: insertId deduplicates re-deliveries (see docs/warehouses.md).
    const definitions = columns.map((c) => `\`${c.name}\` ${TYPES[c.type]}`);
    await this.ddl(`CREATE TABLE IF NOT EXISTS ${this.table(table)} (${definitions.join(', ')})`);
  }

  async addColumns(table: string, columns: ColumnDefinition[]): Promise<void> {
    const clauses = columns.map((c) => `ADD COLUMN IF NOT EXISTS \`${c.name}\` ${TYPES[c.type]}`);
    await this.ddl(`ALTER TABLE ${this.table(table)} ${clauses.join(', ')}`);
  }

  async insert(table: string, columns: ColumnDefinition[], rows: unknown[][]): Promise<Array<ItemResult | undefined>> {
    const results: Array<ItemResult | undefined> = rows.map(() => undefined);
    const keyIndexes = (table === DISCARDS_TABLE ? DISCARDS_PRIMARY_KEY : ['id']).map((k) => columns.findIndex((c) => c.name === k));
    let batch: Array<{ index: number; row: { insertId: string; json: Record<string, unknown> } }> = [];
    let bytes = 0;
    const flush = async () => {
      if (batch.length === 0) return;
      const sent = batch;
      batch = [];
      bytes = 0;
      const insertErrors = await this.api.insertAll(
        table,
        sent.map((s) => s.row),
      );
      for (const { index, errors } of insertErrors) {
        const original = sent[index];
        if (original) results[original.index] = rowErrorResult(errors);
      }
    };
    for (let i = 0; i < rows.length; i += 1) {
      const values = rows[i]!;
      const json = Object.fromEntries(columns.flatMap((c, j) => (values[j] === null || values[j] === undefined ? [] : [[c.name, values[j]]])));
      const key = keyIndexes.map((k) => String(values[k] ?? '')).join(':');
      const row = { insertId: key, json };
      const size = Buffer.byteLength(JSON.stringify(row));
      if (size > MAX_REQUEST_BYTES) {
        results[i] = {
          status: 'permanent',
          code: 'BIGQUERY_ROW_TOO_LARGE',
          message: `the row is ${size} bytes; BigQuery streaming takes at most 10 MB per request`,
        };
        continue;
      }
      if (bytes + size > MAX_REQUEST_BYTES) await flush();
      batch.push({ index: i, row });
      bytes += size;
    }
    await flush();
    return results;
  }

  async selectIds(table: string, columns: string[], where: IdentityCondition): Promise<Array<Record<string, unknown>>> {
    return this.api.query(
      `SELECT DISTINCT ${columns.map((c) => `\`${c}\``).join(', ')} FROM ${this.table(table)} WHERE ${predicates([where])}`,
      parameters([where]),
    );
  }

  async selectWhere(table: string, conditions: IdentityCondition[]): Promise<Array<Record<string, unknown>>> {
    return this.api.query(`SELECT * FROM ${this.table(table)} WHERE ${predicates(conditions)}`, parameters(conditions));
  }

  async deleteWhere(table: string, conditions: IdentityCondition[]): Promise<void> {
    await this.api.query(`DELETE FROM ${this.table(table)} WHERE ${predicates(conditions)}`, parameters(conditions));
  }
}

const predicates = (conditions: IdentityCondition[]) => conditions.map((c, i) => identityPredicate(`\`${c.column}\``, c, `UNNEST(@v${i})`)).join(' OR ');
const parameters = (conditions: IdentityCondition[]) => conditions.map((c, i) => ({ name: `v${i}`, value: c.values }));
