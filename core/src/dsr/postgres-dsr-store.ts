import pg from 'pg';
import { isSchemaName, schemaNameProblem } from '../state/postgres-names.js';
import { inTransaction } from '../state/postgres-transaction.js';
import type { DsrStore } from './dsr-store.js';
import type { DsrRecord } from './dsr-types.js';

export interface PostgresDsrStoreOptions {
  url: string;
  /** Created when missing: 1 to 63 letters, digits or underscores. */
  schema: string;
}

/** PostgreSQL's clock in milliseconds: claims are timed by one clock, whatever the routers' clocks say. */
const NOW_MS = `(extract(epoch from clock_timestamp()) * 1000)::bigint`;

/**
 * Data-subject requests of every router sharing a PostgreSQL schema, with their exports: a request sent to one
 * router is seen, processed (by whichever router claims it first) and answered by all of them. A claim is one
 * conditional UPDATE, so of two routers claiming at once one gets the row and the other finds it taken.
 */
export class PostgresDsrStore implements DsrStore {
  private readonly requests: string;
  private readonly results: string;

  private constructor(
    private readonly pool: pg.Pool,
    schema: string,
  ) {
    this.requests = `"${schema}".dsr_requests`;
    this.results = `"${schema}".dsr_results`;
  }

  static async open(options: PostgresDsrStoreOptions): Promise<PostgresDsrStore> {
    if (!isSchemaName(options.schema)) throw new Error(schemaNameProblem('state', options.schema));
    const pool = new pg.Pool({ connectionString: options.url, max: 3, connectionTimeoutMillis: 10_000, application_name: 'switchyard-dsr' });
    pool.on('error', () => {});
    const store = new PostgresDsrStore(pool, options.schema);
    try {
      await inTransaction(pool, async (client) => {
        await client.query(`SELECT pg_advisory_xact_lock(hashtext('switchyard.dsr'), hashtext($1))`, [options.schema]);
        await client.query(`CREATE SCHEMA IF NOT EXISTS "${options.schema}"`);
        await client.query(`CREATE TABLE IF NOT EXISTS ${store.requests} (
          id text PRIMARY KEY, status text NOT NULL, record jsonb NOT NULL, results_token text UNIQUE,
          claimed_by text, claimed_until bigint
        )`);
        await client.query(`CREATE TABLE IF NOT EXISTS ${store.results} (token text PRIMARY KEY, content bytea NOT NULL)`);
      });
    } catch (error) {
      await pool.end();
      throw error;
    }
    return store;
  }

  async insert(record: DsrRecord): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `INSERT INTO ${this.requests} (id, status, record, results_token) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING`,
      [record.id, record.status, JSON.stringify(record), record.resultsToken ?? null],
    );
    return rowCount === 1;
  }

  async save(record: DsrRecord): Promise<void> {
    await this.pool.query(`UPDATE ${this.requests} SET status = $1, record = $2, results_token = $3 WHERE id = $4`, [
      record.status,
      JSON.stringify(record),
      record.resultsToken ?? null,
      record.id,
    ]);
  }

  async get(id: string): Promise<DsrRecord | undefined> {
    return this.one(`SELECT record FROM ${this.requests} WHERE id = $1`, [id]);
  }

  async byResultsToken(token: string): Promise<DsrRecord | undefined> {
    return this.one(`SELECT record FROM ${this.requests} WHERE results_token = $1`, [token]);
  }

  async unfinished(): Promise<DsrRecord[]> {
    const { rows } = await this.pool.query<{ record: DsrRecord }>(`SELECT record FROM ${this.requests} WHERE status IN ('pending', 'in_progress')`);
    return rows.map((r) => r.record);
  }

  async claim(id: string, owner: string, leaseMs: number): Promise<DsrRecord | undefined> {
    return this.one(
      `UPDATE ${this.requests} SET claimed_by = $2, claimed_until = ${NOW_MS} + $3
       WHERE id = $1 AND status IN ('pending', 'in_progress') AND (claimed_by IS NULL OR claimed_by = $2 OR claimed_until < ${NOW_MS})
       RETURNING record`,
      [id, owner, leaseMs],
    );
  }

  async release(id: string, owner: string): Promise<void> {
    await this.pool.query(`UPDATE ${this.requests} SET claimed_by = NULL, claimed_until = NULL WHERE id = $1 AND claimed_by = $2`, [id, owner]);
  }

  async cancel(record: DsrRecord): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `UPDATE ${this.requests} SET status = 'cancelled', record = $2
       WHERE id = $1 AND status = 'pending' AND (claimed_by IS NULL OR claimed_until < ${NOW_MS})`,
      [record.id, JSON.stringify({ ...record, status: 'cancelled' })],
    );
    return rowCount === 1;
  }

  async shareResults(token: string, content: Buffer): Promise<void> {
    await this.pool.query(`INSERT INTO ${this.results} (token, content) VALUES ($1, $2) ON CONFLICT (token) DO NOTHING`, [token, content]);
  }

  async sharedResults(token: string): Promise<Buffer | undefined> {
    const { rows } = await this.pool.query<{ content: Buffer }>(`SELECT content FROM ${this.results} WHERE token = $1`, [token]);
    return rows[0]?.content;
  }

  private async one(sql: string, params: unknown[]): Promise<DsrRecord | undefined> {
    const { rows } = await this.pool.query<{ record: DsrRecord }>(sql, params);
    return rows[0]?.record;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
