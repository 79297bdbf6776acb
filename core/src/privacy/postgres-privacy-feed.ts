import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Logger } from '../logging.js';
import type { PrivacyChange, PrivacyChangeOutlet } from './privacy-change.js';
import { isSchemaName, schemaNameProblem } from '../state/postgres-names.js';
import { inTransaction } from '../state/postgres-transaction.js';
import { SupersededChanges } from './superseded-changes.js';

/**
 * How often a router reads the changes table even when no notification came: the bound on how late a change
 * reaches a router whose notification connection dropped (docs/deployment.md).
 */
export const PRIVACY_FEED_POLL_MS = 1_000;
/** One channel for every schema; the payload names the schema, so deployments sharing a server ignore each other. */
const CHANNEL = 'switchyard_privacy';
const BATCH = 500;
/** How often a router compacts the changes table (whichever router takes the turn does it for all). */
export const PRIVACY_COMPACTION_MS = 600_000;
/**
 * A router not heard of for this long no longer holds compaction back: one back later skips the superseded changes
 * it had not applied, and still ends with the same stores (the late check of those changes is what it misses).
 */
export const ROUTER_STALE_MS = 3_600_000;
const COMPACTION_BATCH = 2_000;

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
  compactionIntervalMs?: number;
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
 *
 * Compaction deletes the changes a later one supersedes (superseded-changes.ts), so a new router applies fewer,
 * and only those every router has applied: each router records the last change it applied in `privacy_routers`,
 * and a change past the lowest of them stays until all have, so no router's late check misses one.
 */
export class PostgresPrivacyFeed implements PrivacyChangeOutlet {
  /** This process's changes, which it applied as it made them. */
  private readonly origin = randomUUID();
  private readonly table: string;
  private readonly routers: string;
  private compactor?: NodeJS.Timeout;
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
    this.routers = `"${options.schema}".privacy_routers`;
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
        await client.query(`CREATE TABLE IF NOT EXISTS ${feed.routers} (origin text PRIMARY KEY, applied bigint NOT NULL, seen_at bigint NOT NULL)`);
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
    // Before reading: from now on compaction keeps every change this router has not applied.
    await this.reportApplied();
    await this.catchUp();
    await this.connectListener();
    this.timer = setInterval(() => {
      void this.connectListener();
      void this.catchUp().then(() => this.reportApplied().catch(() => undefined));
    }, this.options.pollIntervalMs ?? PRIVACY_FEED_POLL_MS);
    this.timer.unref();
    this.compactor = setInterval(() => {
      this.compact().catch((error: unknown) => this.options.log.warn({ err: error }, 'could not compact the shared privacy changes'));
    }, this.options.compactionIntervalMs ?? PRIVACY_COMPACTION_MS);
    this.compactor.unref();
  }

  /** Records the last change this router applied (and that it is alive). */
  private async reportApplied(): Promise<void> {
    if (this.closed) return;
    await this.pool.query(
      `INSERT INTO ${this.routers} (origin, applied, seen_at) VALUES ($1, $2, $3)
       ON CONFLICT (origin) DO UPDATE SET applied = excluded.applied, seen_at = excluded.seen_at`,
      [this.origin, this.options.cursor.read(), Date.now()],
    );
  }

  /**
   * Deletes the changes that later ones supersede and that every router heard of within ROUTER_STALE_MS has
   * applied; one router at a time (others skip their turn). Returns how many went.
   */
  async compact(): Promise<number> {
    if (this.closed) return 0;
    return inTransaction(this.pool, async (client) => {
      const { rows: turn } = await client.query<{ ok: boolean }>(
        `SELECT pg_try_advisory_xact_lock(hashtext('switchyard.privacy_compaction'), hashtext($1)) AS ok`,
        [this.options.schema],
      );
      if (!turn[0]?.ok) return 0;
      await client.query(`DELETE FROM ${this.routers} WHERE seen_at < $1`, [Date.now() - ROUTER_STALE_MS]);
      const { rows: low } = await client.query<{ applied: string | null }>(`SELECT min(applied) AS applied FROM ${this.routers}`);
      const horizon = Number(low[0]?.applied ?? 0);
      const superseded = new SupersededChanges();
      const doomed: number[] = [];
      // Newest first: whether a change is superseded depends on the ones after it.
      for (let before = Number.MAX_SAFE_INTEGER; ;) {
        const { rows } = await client.query<{ id: string; change: PrivacyChange }>(
          `SELECT id, change FROM ${this.table} WHERE id < $1 ORDER BY id DESC LIMIT ${COMPACTION_BATCH}`,
          [before],
        );
        for (const row of rows) {
          const id = Number(row.id);
          if (superseded.consider(id, row.change, id <= horizon)) doomed.push(id);
        }
        if (rows.length < COMPACTION_BATCH) break;
        before = Number(rows[rows.length - 1]!.id);
      }
      for (let i = 0; i < doomed.length; i += COMPACTION_BATCH) {
        await client.query(`DELETE FROM ${this.table} WHERE id = ANY($1::bigint[])`, [doomed.slice(i, i + COMPACTION_BATCH)]);
      }
      return doomed.length;
    });
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
    clearInterval(this.compactor);
    await this.connecting;
    await this.reading;
    await this.listener?.end().catch(() => undefined);
    await this.pool.end();
  }
}
