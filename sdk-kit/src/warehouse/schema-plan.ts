import { describeValue, fitValue, inferType, widenType, type WarehouseType } from './column-types.js';
import { BASE_COLUMNS, EXTRA_COLUMNS, type WarehouseRow } from './event-rows.js';

/** Column name → type, as the warehouse has it; `undefined` marks a column of a type Switchyard does not write. */
export type TableColumns = Map<string, WarehouseType | undefined>;
/** Table name → its columns, for the one schema (dataset) a connection writes to. */
export type WarehouseSchema = Map<string, TableColumns>;

export interface ColumnDefinition {
  name: string;
  type: WarehouseType;
}

export interface SchemaChange {
  table: string;
  /** True when the table does not exist yet: `columns` is then its whole initial column list. */
  create: boolean;
  columns: ColumnDefinition[];
  primaryKey: string[];
}

export const DISCARDS_TABLE = 'discards';
export const DISCARDS_COLUMNS: ColumnDefinition[] = [
  { name: 'message_id', type: 'text' },
  { name: 'table_name', type: 'text' },
  { name: 'column_name', type: 'text' },
  { name: 'value', type: 'text' },
  { name: 'reason', type: 'text' },
  { name: 'user_id', type: 'text' },
  { name: 'anonymous_id', type: 'text' },
  { name: 'profile_id', type: 'text' },
  { name: 'received_at', type: 'timestamp' },
  { name: 'discarded_at', type: 'timestamp' },
];
export const DISCARDS_PRIMARY_KEY = ['message_id', 'table_name', 'column_name'];

const FIXED_TYPES: Readonly<Record<string, WarehouseType>> = { ...BASE_COLUMNS, ...EXTRA_COLUMNS };

/**
 * The tables and columns to add so every value in `rows` has a column and every table written to has all
 * common columns (BASE_COLUMNS). Existing columns are never changed; a new column's type comes from the
 * batch's values (bigint and double widen to double, timestamp and text to text; on any other clash the
 * first value's type wins and the others are discarded).
 */
export function planSchemaChanges(rows: readonly WarehouseRow[], schema: WarehouseSchema): SchemaChange[] {
  const pending = new Map<string, Map<string, WarehouseType>>();
  for (const row of rows) {
    const existing = schema.get(row.table);
    let added = pending.get(row.table);
    if (!added) {
      added = new Map();
      pending.set(row.table, added);
    }
    for (const [column, value] of Object.entries(row.values)) {
      if (existing?.has(column)) continue;
      const inferred = FIXED_TYPES[column] ?? inferType(value);
      if (!inferred) continue;
      const current = added.get(column);
      added.set(column, current ? (widenType(current, inferred) ?? current) : inferred);
    }
  }
  const changes: SchemaChange[] = [];
  for (const [table, added] of pending) {
    const existing = schema.get(table);
    const create = !existing;
    // A table created before a common column existed (profile_id) gets it on its next write, not only new tables.
    for (const [name, type] of Object.entries(BASE_COLUMNS)) if (!existing?.has(name) && !added.has(name)) added.set(name, type);
    if (added.size === 0) continue;
    const columns = [...added].map(([name, type]) => ({ name, type }));
    changes.push({ table, create, columns, primaryKey: ['id'] });
  }
  return changes;
}

export interface TableInsert {
  table: string;
  columns: ColumnDefinition[];
  rows: unknown[][];
  /** Index into the caller's item list of each row, to report per-item results. */
  itemIndexes: number[];
}

export interface DiscardedValue {
  itemIndex: number;
  messageId: string;
  table: string;
  column: string;
  value: unknown;
  reason: string;
}

export interface FittedBatch {
  inserts: TableInsert[];
  discards: DiscardedValue[];
}

/**
 * Fits each row's values to the columns the warehouse has. Values that do not fit are discarded, not
 * fatal: the row is still written (with null there) and the value is kept in the `discards` table.
 * A message already seen in this batch for the same table is skipped, so the insert never conflicts with itself.
 */
export function fitRows(rows: ReadonlyArray<{ row: WarehouseRow; itemIndex: number }>, schema: WarehouseSchema): FittedBatch {
  const byTable = new Map<
    string,
    { columns: Map<string, WarehouseType>; fitted: Array<{ values: Map<string, unknown>; itemIndex: number }>; seen: Set<string> }
  >();
  const discards: DiscardedValue[] = [];
  for (const { row, itemIndex } of rows) {
    const tableColumns = schema.get(row.table);
    let entry = byTable.get(row.table);
    if (!entry) {
      entry = { columns: new Map(), fitted: [], seen: new Set() };
      byTable.set(row.table, entry);
    }
    if (entry.seen.has(row.messageId)) continue;
    entry.seen.add(row.messageId);
    const discard = (column: string, value: unknown, reason: string) => {
      discards.push({ itemIndex, messageId: row.messageId, table: row.table, column, value, reason });
    };
    const values = new Map<string, unknown>();
    for (const [column, value] of Object.entries(row.values)) {
      if (value === null || value === undefined) continue;
      if (!tableColumns?.has(column)) {
        discard(column, value, 'the column does not exist and could not be added');
        continue;
      }
      const type = tableColumns.get(column);
      if (!type) {
        discard(column, value, 'the column has a type Switchyard does not write');
        continue;
      }
      const fit = fitValue(type, value);
      if (!fit.fits) {
        discard(column, value, `type mismatch: the column is ${type}, the value is ${fit.valueType}`);
        continue;
      }
      values.set(column, fit.value);
      entry.columns.set(column, type);
    }
    for (const { column, value } of row.collisions) {
      discard(column, value, 'another property already maps to this column name');
    }
    entry.fitted.push({ values, itemIndex });
  }
  const inserts = [...byTable].map(([table, { columns, fitted }]) => {
    const list = [...columns].map(([name, type]) => ({ name, type }));
    return {
      table,
      columns: list,
      rows: fitted.map(({ values }) => list.map(({ name }) => values.get(name) ?? null)),
      itemIndexes: fitted.map(({ itemIndex }) => itemIndex),
    };
  });
  return { inserts, discards };
}

/** The `discards` table rows for discarded values, with the event's user and profile ids so erasure finds them. */
export function discardRows(
  discards: readonly DiscardedValue[],
  users: ReadonlyArray<{ userId?: string; anonymousId?: string; profileId?: string; receivedAt?: string }>,
  discardedAt = new Date().toISOString(),
): TableInsert {
  const seen = new Set<string>();
  const unique = discards.filter((d) => {
    const key = `${d.messageId}\0${d.table}\0${d.column}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return {
    table: DISCARDS_TABLE,
    columns: DISCARDS_COLUMNS,
    rows: unique.map((d) => {
      const user = users[d.itemIndex] ?? {};
      return [
        d.messageId,
        d.table,
        d.column,
        describeValue(d.value),
        d.reason,
        user.userId ?? null,
        user.anonymousId ?? null,
        user.profileId ?? null,
        user.receivedAt ?? null,
        discardedAt,
      ];
    }),
    itemIndexes: unique.map((d) => d.itemIndex),
  };
}
