import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Logger } from '../logging.js';
import type { PrivacyChange, PrivacyChangeOutlet } from './privacy-change.js';
import { isSchemaName, schemaNameProblem } from '../state/postgres-names.js';
import { inTransaction } from '../state/postgres-transaction.js';

/**
 * How often a router reads the changes table even when no notification came: the bound on how late a change
 * reaches a router whose notification connection dropped (docs/deployment.md).
 */
export const PRIVACY_FEED_POLL_MS = 1_000;
/** One channel for every schema; the payload names the schema, so deployments sharing a server ignore each other. */
const CHANNEL = 'switchyard_privacy';
const BATCH = 500;

/** The last change a router applied; kept beside its replica of the stores, so both survive restarts together. */
export interface FeedCursor {
  read(): number;
  write(id: number): void;
}

export interface PostgresPrivacyFeedOptions {
  url: string;
  schema: string;
  log: Logger;
  cursor: FeedCursor;
  pollIntervalMs?: number;
}

export class PrivacyFeedError extends Error {
  readonly code = 'STATE_SCHEMA_INVALID';
}

/**
 * The privacy changes of every router sharing a PostgreSQL schema, in one ordered table. A router publishes its
 * own changes (a suppression is acknowledged only once its row is committed) and applies the others' in table
 * order: at once on a LISTEN/NOTIFY notification, and at least every `pollIntervalMs` whatever happens to the
 * notification connection. Rows are numbered under a lock held until commit, so they commit in number order and a
 * reader never skips a row still being written.
 */
export class PostgresPrivacyFeed implements PrivacyChangeOutlet {
  /** This process's changes, which it applied as it made them. */
  private readonly origin = randomUUID();
  private readonly table: string;
  private apply?: (change: PrivacyChange) => Promise<void>;
  private listener?: pg.Client;
  private connecting?: Promise<void>;
  private timer?: NodeJS.Timeout;
  private reading?: Promise<void>;
  private readAgain = false;
  private closed = false;

  private constructor(
    private readonly pool: pg.Pool,
    private readonly options: PostgresPrivacyFeedOptions,
  ) {
    this.table = `"${options.schema}".privacy_changes`;
  }

  /** Connects and creates the schema and the changes table when missing. */
  static async open(options: PostgresPrivacyFeedOptions): Promise<PostgresPrivacyFeed> {
    if (!isSchemaName(options.schema)) throw new PrivacyFeedError(schemaNameProblem('state', options.schema));
    const pool = new pg.Pool({ connectionString: options.url, max: 2, connectionTimeoutMillis: 10_000, application_name: 'switchyard-privacy' });
    // An idle client losing its connection must not crash the router; the next query connects again.
    pool.on('error', () => {});
    const feed = new PostgresPrivacyFeed(pool, options);
    try {
      await feed.transaction(async (client) => {
        // Routers starting together would collide on CREATE … IF NOT EXISTS; they take turns.
        await client.query(`SELECT pg_advisory_xact_lock(hashtext('switchyard.privacy'), hashtext($1))`, [options.schema]);
        await client.query(`CREATE SCHEMA IF NOT EXISTS "${options.schema}"`);
        await client.query(`CREATE TABLE IF NOT EXISTS ${feed.table} (
          id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, origin text NOT NULL, at bigint NOT NULL, change jsonb NOT NULL
        )`);
      });
    } catch (error) {
      await pool.end();
      throw error;
    }
    return feed;
  }

  /**
   * Applies every change this router has not applied yet (all of them on a new storage dir), then keeps applying
   * them as they come. Resolves after the first catch-up, so a router starts with every router's state.
   */
  async start(apply: (change: PrivacyChange) => Promise<void>): Promise<void> {
    this.apply = apply;
    await this.catchUp();
    await this.connectListener();
    this.timer = setInterval(() => {
      void this.connectListener();
      void this.catchUp();
    }, this.options.pollIntervalMs ?? PRIVACY_FEED_POLL_MS);
    this.timer.unref();
  }

  async publish(change: PrivacyChange): Promise<void> {
    if (this.closed) throw new Error('the shared privacy state is closed: the change was applied on this router only');
    await this.transaction(async (client) => {
      // Held until commit: rows commit in the order of their ids (see the class comment).
      await client.query(`SELECT pg_advisory_xact_lock(hashtext('switchyard.privacy_changes'), hashtext($1))`, [this.options.schema]);
      await client.query(`INSERT INTO ${this.table} (origin, at, change) VALUES ($1, $2, $3)`, [this.origin, Date.now(), JSON.stringify(change)]);
      await client.query('SELECT pg_notify($1, $2)', [CHANNEL, this.options.schema]);
    });
  }

  /** Reads and applies what is new; a call while a read runs makes it read once more. */
  catchUp(): Promise<void> {
    if (this.closed || !this.apply) return Promise.resolve();
    if (this.reading) {
      this.readAgain = true;
      return this.reading;
    }
    this.reading = (async () => {
      try {
        do {
          this.readAgain = false;
          while (await this.applyBatch()) if (this.closed) return;
        } while (this.readAgain && !this.closed);
      } catch (error) {
        // The next notification or poll tries again from the last change applied.
        if (!this.closed) this.options.log.warn({ err: error }, 'could not read the shared privacy changes; retrying');
      } finally {
        this.reading = undefined;
      }
    })();
    return this.reading;
  }

  /** Applies the next batch; true when there may be more. */
  private async applyBatch(): Promise<boolean> {
    const after = this.options.cursor.read();
    const { rows } = await this.pool.query<{ id: string; origin: string; change: PrivacyChange }>(
      `SELECT id, origin, change FROM ${this.table} WHERE id > $1 ORDER BY id LIMIT ${BATCH}`,
      [after],
    );
    for (const row of rows) {
      if (this.closed) return false;
      // A change that fails to apply stops the reading here: it is tried again, never skipped.
      if (row.origin !== this.origin) await this.apply!(row.change);
      this.options.cursor.write(Number(row.id));
    }
    return rows.length === BATCH;
  }

  /** Opens the notification connection when it is not open; a dropped one is opened again at the next poll. */
  private connectListener(): Promise<void> {
    if (this.closed || this.listener) return Promise.resolve();
    this.connecting ??= (async () => {
      const client = new pg.Client({ connectionString: this.options.url, application_name: `switchyard-privacy-listen:${this.options.schema}` });
      const drop = () => {
        if (this.listener === client) this.listener = undefined;
        void client.end().catch(() => undefined);
      };
      client.on('error', drop);
      client.on('end', drop);
      client.on('notification', (message) => {
        if (message.payload === this.options.schema) void this.catchUp();
      });
      try {
        await client.connect();
        await client.query(`LISTEN ${CHANNEL}`);
        if (this.closed) return void (await client.end());
        this.listener = client;
        // Changes committed while it was not listening.
        void this.catchUp();
      } catch (error) {
        drop();
        this.options.log.warn(
          { err: error },
          `cannot listen for shared privacy changes; reading them every ${this.options.pollIntervalMs ?? PRIVACY_FEED_POLL_MS} ms`,
        );
      }
    })().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private transaction(work: (client: pg.PoolClient) => Promise<void>): Promise<void> {
    return inTransaction(this.pool, work);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    await this.connecting;
    await this.reading;
    await this.listener?.end().catch(() => undefined);
    await this.pool.end();
  }
}
