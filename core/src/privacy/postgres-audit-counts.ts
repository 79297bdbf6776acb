import pg from 'pg';
import { isSchemaName, schemaNameProblem } from '../state/postgres-names.js';
import type { PrivacyAuditRow, SharedAuditCounts } from './privacy-audit.js';

/** The privacy decision counters of every router sharing a PostgreSQL schema, added up in one table. */
export class PostgresAuditCounts implements SharedAuditCounts {
  private readonly table: string;

  private constructor(
    private readonly pool: pg.Pool,
    schema: string,
  ) {
    this.table = `"${schema}".privacy_audit`;
  }

  static async open(options: { url: string; schema: string }): Promise<PostgresAuditCounts> {
    if (!isSchemaName(options.schema)) throw new Error(schemaNameProblem('state', options.schema));
    const pool = new pg.Pool({ connectionString: options.url, max: 2, connectionTimeoutMillis: 10_000, application_name: 'switchyard-privacy-audit' });
    pool.on('error', () => {});
    const counts = new PostgresAuditCounts(pool, options.schema);
    const client = await pool.connect().catch(async (error: Error) => {
      await pool.end();
      throw error;
    });
    try {
      await client.query('BEGIN');
      await client.query(`SELECT pg_advisory_xact_lock(hashtext('switchyard.privacy_audit'), hashtext($1))`, [options.schema]);
      await client.query(`CREATE SCHEMA IF NOT EXISTS "${options.schema}"`);
      await client.query(`CREATE TABLE IF NOT EXISTS ${counts.table} (
        source_id text COLLATE "C" NOT NULL, connection_id text COLLATE "C" NOT NULL, decision text COLLATE "C" NOT NULL, count bigint NOT NULL,
        PRIMARY KEY (source_id, connection_id, decision)
      )`);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      client.release();
      await pool.end();
      throw error;
    }
    client.release();
    return counts;
  }

  async add(rows: readonly PrivacyAuditRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.pool.query(
      `INSERT INTO ${this.table} AS a (source_id, connection_id, decision, count)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[])
       ON CONFLICT (source_id, connection_id, decision) DO UPDATE SET count = a.count + excluded.count`,
      [rows.map((r) => r.sourceId), rows.map((r) => r.connectionId), rows.map((r) => r.decision), rows.map((r) => r.count)],
    );
  }

  async rows(filter: { sourceId?: string; connectionId?: string }): Promise<PrivacyAuditRow[]> {
    const { rows } = await this.pool.query<{ source_id: string; connection_id: string; decision: string; count: string }>(
      `SELECT source_id, connection_id, decision, count FROM ${this.table}
       WHERE ($1::text IS NULL OR source_id = $1) AND ($2::text IS NULL OR connection_id = $2) ORDER BY source_id, connection_id, decision`,
      [filter.sourceId || null, filter.connectionId || null],
    );
    return rows.map((r) => ({ sourceId: r.source_id, connectionId: r.connection_id, decision: r.decision, count: Number(r.count) }));
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
