import { classifyError } from '../classify.js';
import { AuthenticationError, PermanentError, RateLimitedError, RetryableError, type ConnectorError } from '../errors.js';
import { normalizeIdentity } from '../subject-matcher.js';
import type { CanonicalEvent, ItemResult, SubjectIdentity, SubjectRecord } from '../types.js';
import {
  MEMBERSHIPS_COLUMNS,
  MEMBERSHIPS_PRIMARY_KEY,
  MEMBERSHIPS_TABLE,
  membershipRows,
  type MembershipChange,
  type UpsertMemberships,
} from './audience-memberships.js';
import { asTimestamp } from './column-types.js';
import { eventToRows, type WarehouseRow } from './event-rows.js';
import {
  DISCARDS_COLUMNS,
  DISCARDS_PRIMARY_KEY,
  DISCARDS_TABLE,
  discardRows,
  fitRows,
  planSchemaChanges,
  type ColumnDefinition,
  type TableInsert,
  type WarehouseSchema,
} from './schema-plan.js';

/**
 * What a warehouse connector implements; the writer does the rest (rows, evolution, discards, results).
 * Methods throw sdk-kit connector errors (RetryableError, AuthenticationError, …) for failures.
 */
export interface WarehouseStore {
  /** Every table and column of the connection's schema (dataset); empty when the schema does not exist yet. */
  describe(): Promise<WarehouseSchema>;
  /** Creates the table if it does not exist (another writer may have just created it). */
  createTable(table: string, columns: ColumnDefinition[], primaryKey: string[]): Promise<void>;
  /** Adds columns that do not exist yet; never changes an existing column. */
  addColumns(table: string, columns: ColumnDefinition[]): Promise<void>;
  /**
   * Inserts rows, skipping rows whose key is already there. May return one result per row when the
   * destination accepts some rows of a request and rejects others.
   */
  insert(table: string, columns: ColumnDefinition[], rows: unknown[][]): Promise<void | Array<ItemResult | undefined>>;
  /** The user and anonymous ids of rows that match `where` (erasure and export by email); optional. */
  selectIds?(table: string, columns: string[], where: IdentityCondition): Promise<Array<Record<string, unknown>>>;
  /** Deletes rows where any condition matches. */
  deleteWhere(table: string, conditions: IdentityCondition[]): Promise<void>;
  /** Every column of the rows where any condition matches (access and portability exports); optional. */
  selectWhere?(table: string, conditions: IdentityCondition[]): Promise<Array<Record<string, unknown>>>;
  /** Keeps audience memberships (`audience_memberships`); optional: a store without it cannot sync audiences. */
  upsertMemberships?: UpsertMemberships;
  /** Most rows in one insert statement or request. */
  readonly maxRowsPerInsert: number;
  /** Most bound values in one statement, when the database limits them. */
  readonly maxParameters?: number;
}

/**
 * Rows whose `column` holds one of `values`. With `caseInsensitive` the store compares the column trimmed and
 * lower-cased (`lower(trim(column))`) with values the writer has already normalised that way: emails.
 */
export interface IdentityCondition {
  column: string;
  values: string[];
  caseInsensitive?: boolean;
}

/** Columns a data subject's rows are found by, which identity names fill them, and how they compare. */
const SUBJECT_COLUMNS: Array<{ column: string; identities: string[]; caseInsensitive?: boolean }> = [
  { column: 'user_id', identities: ['user_id', 'userId'] },
  { column: 'anonymous_id', identities: ['anonymous_id', 'anonymousId'] },
  { column: 'profile_id', identities: ['profile_id'] },
  { column: 'email', identities: ['email'], caseInsensitive: true },
];

const SEVERITY = { ok: 0, retryable: 1, rate_limited: 2, permanent: 3, authentication: 4 } as const;

/**
 * Writes events into a warehouse through a store, keeping a cache of the schema between batches.
 * One writer per connection and thread.
 */
export class WarehouseWriter {
  private schema: WarehouseSchema | undefined;
  private membershipsTable = false;

  constructor(private readonly store: WarehouseStore) {}

  /** Writes one audience sync call into `audience_memberships`; one result per member, in order. */
  async writeMemberships(change: MembershipChange): Promise<Array<ItemResult | undefined>> {
    const upsert = this.store.upsertMemberships?.bind(this.store);
    if (!upsert) throw new PermanentError('this warehouse cannot keep audience memberships', { code: 'AUDIENCES_NOT_SUPPORTED' });
    const { rows, indexes, results } = membershipRows(change, new Date().toISOString());
    if (rows.length === 0) return results;
    if (!this.membershipsTable) {
      await this.store.createTable(MEMBERSHIPS_TABLE, MEMBERSHIPS_COLUMNS, MEMBERSHIPS_PRIMARY_KEY);
      this.membershipsTable = true;
      this.schema = undefined;
    }
    const perStatement = Math.max(
      1,
      Math.min(this.store.maxRowsPerInsert, this.store.maxParameters ? Math.floor(this.store.maxParameters / MEMBERSHIPS_COLUMNS.length) : Infinity),
    );
    for (let start = 0; start < rows.length; start += perStatement) {
      try {
        await upsert(MEMBERSHIPS_TABLE, MEMBERSHIPS_COLUMNS, rows.slice(start, start + perStatement), change.action);
      } catch (error) {
        this.membershipsTable = false;
        const failed = classifyError(error);
        for (const index of indexes.slice(start, start + perStatement)) results[index] = failed;
      }
    }
    return results;
  }

  /** Writes one batch; returns one result per event, in order. Throws when the schema could not be changed. */
  async write(events: readonly CanonicalEvent[]): Promise<ItemResult[]> {
    const loadedAt = new Date().toISOString();
    const rows = events.flatMap((event, itemIndex) => eventToRows(event, loadedAt).map((row) => ({ row, itemIndex })));
    const schema = await this.evolve(rows.map((r) => r.row));
    const { inserts, discards } = fitRows(rows, schema);
    const results: ItemResult[] = events.map(() => ({ status: 'ok' }));
    const record = (index: number, result: ItemResult) => {
      if (SEVERITY[result.status] > SEVERITY[results[index]!.status]) results[index] = result;
    };
    if (discards.length > 0) {
      await this.ensureDiscardsTable(schema);
      const users = events.map((e) => ({ userId: e.userId, anonymousId: e.anonymousId, profileId: e.profileId, receivedAt: asTimestamp(e.receivedAt) }));
      inserts.push(discardRows(discards, users));
    }
    for (const insert of inserts) await this.insertTable(insert, record);
    return results;
  }

  /**
   * Erases a data subject's rows from every table that has a matching id column. An email also finds the
   * user and anonymous ids recorded with it (in `identifies`, or any table with an `email` column), so the
   * user's events are erased even when the request names only the email.
   */
  async deleteUser(user: SubjectIdentity): Promise<void> {
    for (const [table, conditions] of await this.subjectConditions(user)) await this.store.deleteWhere(table, conditions);
  }

  /** Reads back every row `deleteUser` would erase, one record per row with its table as `source`. */
  async exportUser(user: SubjectIdentity): Promise<SubjectRecord[]> {
    const selectWhere = this.store.selectWhere?.bind(this.store);
    if (!selectWhere) throw new PermanentError('this warehouse cannot read rows back for an export', { code: 'EXPORT_NOT_SUPPORTED' });
    const records: SubjectRecord[] = [];
    for (const [table, conditions] of await this.subjectConditions(user)) {
      for (const row of await selectWhere(table, conditions)) records.push({ source: table, data: row });
    }
    return records;
  }

  /** Per table, the conditions that find the subject's rows, with the ids recorded with their email added. */
  private async subjectConditions(user: SubjectIdentity): Promise<Array<[string, IdentityCondition[]]>> {
    const schema = await this.store.describe();
    const wanted = SUBJECT_COLUMNS.map(({ column, identities, caseInsensitive }) => ({
      column,
      caseInsensitive,
      values: new Set(
        identities
          .map((n) => user.identities[n])
          .filter((v): v is string => typeof v === 'string' && v.trim() !== '')
          .map((v) => (caseInsensitive ? normalizeIdentity('email', v) : v)),
      ),
    }));
    const byColumn = new Map(wanted.map((w) => [w.column, w]));
    const email = byColumn.get('email')!;
    if (email.values.size && this.store.selectIds) {
      for (const [table, columns] of schema) {
        const idColumns = ['user_id', 'anonymous_id'].filter((c) => columns.has(c));
        if (!columns.has('email') || idColumns.length === 0) continue;
        for (const found of await this.store.selectIds(table, idColumns, { column: 'email', values: [...email.values], caseInsensitive: true })) {
          for (const column of idColumns) if (typeof found[column] === 'string' && found[column]) byColumn.get(column)!.values.add(found[column]);
        }
      }
    }
    const out: Array<[string, IdentityCondition[]]> = [];
    for (const [table, columns] of schema) {
      const conditions = wanted.flatMap(({ column, values, caseInsensitive }) =>
        columns.has(column) && values.size ? [{ column, values: [...values], ...(caseInsensitive ? { caseInsensitive } : {}) }] : [],
      );
      if (conditions.length) out.push([table, conditions]);
    }
    return out;
  }

  /** Creates `discards`, or adds the columns a table created by an earlier version lacks (profile_id). */
  private async ensureDiscardsTable(schema: WarehouseSchema): Promise<void> {
    const columns = schema.get(DISCARDS_TABLE);
    const missing = DISCARDS_COLUMNS.filter((c) => !columns?.has(c.name));
    if (missing.length === 0) return;
    if (columns) await this.store.addColumns(DISCARDS_TABLE, missing);
    else await this.store.createTable(DISCARDS_TABLE, DISCARDS_COLUMNS, DISCARDS_PRIMARY_KEY);
    this.schema = undefined;
  }

  private async currentSchema(): Promise<WarehouseSchema> {
    this.schema ??= await this.store.describe();
    return this.schema;
  }

  private async evolve(rows: WarehouseRow[]): Promise<WarehouseSchema> {
    let schema = await this.currentSchema();
    if (planSchemaChanges(rows, schema).length === 0) return schema;
    // Another writer may have changed the schema since we cached it: plan against what is there now.
    schema = await this.store.describe();
    const changes = planSchemaChanges(rows, schema);
    for (const change of changes) {
      if (change.create) await this.store.createTable(change.table, change.columns, change.primaryKey);
      else await this.store.addColumns(change.table, change.columns);
    }
    this.schema = changes.length ? await this.store.describe() : schema;
    return this.schema;
  }

  private async insertTable(insert: TableInsert, record: (index: number, result: ItemResult) => void): Promise<void> {
    const perStatement = Math.max(
      1,
      Math.min(this.store.maxRowsPerInsert, this.store.maxParameters ? Math.floor(this.store.maxParameters / Math.max(1, insert.columns.length)) : Infinity),
    );
    for (let start = 0; start < insert.rows.length; start += perStatement) {
      const rows = insert.rows.slice(start, start + perStatement);
      const indexes = insert.itemIndexes.slice(start, start + perStatement);
      try {
        const rowResults = await this.store.insert(insert.table, insert.columns, rows);
        rowResults?.forEach((result, i) => {
          if (result && result.status !== 'ok') record(indexes[i]!, result);
        });
      } catch (error) {
        this.schema = undefined;
        const result = classifyError(error);
        if (result.status !== 'permanent' || rows.length === 1) {
          for (const index of indexes) record(index, result);
          continue;
        }
        // One bad row fails a whole multi-row statement: retry one by one so only that event fails.
        for (let i = 0; i < rows.length; i += 1) {
          try {
            const [rowResult] = (await this.store.insert(insert.table, insert.columns, [rows[i]!])) ?? [];
            if (rowResult && rowResult.status !== 'ok') record(indexes[i]!, rowResult);
          } catch (single) {
            record(indexes[i]!, classifyError(single));
          }
        }
      }
    }
  }
}

/** The connector error that reproduces a failed item result, for `perform` (which reports by throwing). */
export function errorForResult(result: ItemResult): ConnectorError {
  const options = { code: result.code ?? 'WAREHOUSE_WRITE_FAILED', httpStatus: result.httpStatus, retryAfterMs: result.retryAfterMs };
  const message = result.message ?? 'the warehouse write failed';
  switch (result.status) {
    case 'authentication':
      return new AuthenticationError(message, options);
    case 'permanent':
      return new PermanentError(message, options);
    case 'rate_limited':
      return new RateLimitedError(message, options);
    default:
      return new RetryableError(message, options);
  }
}
