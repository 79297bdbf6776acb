import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DeliveryQueue } from './delivery-queue.js';
import type { AcceptedEvent, DeadLetter, DeadLetterFilter, DeliveryError, QueuedDelivery, Reschedule } from '../types.js';
import { ADDED_COLUMNS, MOVE_IDENTITIES_INTO_ARRAYS, SCHEMA } from './sqlite-schema.js';

type Row = Record<string, unknown>;

/**
 * The embedded durable queue: SQLite in WAL mode. Acceptance commits with synchronous=FULL, so an
 * acknowledged event survives a crash or power loss. Bookkeeping after delivery uses a second connection
 * with synchronous=NORMAL: losing its last commits only re-delivers (at-least-once), never loses.
 */
export class SqliteDeliveryQueue implements DeliveryQueue {
  private readonly durable: Database.Database;
  private readonly bookkeeping: Database.Database;
  private readonly statements;

  constructor(readonly file: string) {
    mkdirSync(dirname(file), { recursive: true });
    this.durable = open(file, 'FULL');
    upgrade(this.durable);
    this.bookkeeping = open(file, 'NORMAL');
    // Leases live in the database only to survive bookkeeping; after a crash nobody holds them.
    this.bookkeeping.prepare('UPDATE deliveries SET leased = 0 WHERE leased = 1').run();
    this.statements = this.prepare();
  }

  private prepare() {
    const d = this.durable;
    const b = this.bookkeeping;
    return {
      insertEvent: d.prepare('INSERT INTO events (message_id, source_id, body, accepted_at) VALUES (?, ?, ?, ?)'),
      insertIdentityKeys: d.prepare('INSERT INTO event_identity_keys (event_seq, identity_keys) VALUES (?, ?)'),
      insertDelivery: d.prepare('INSERT INTO deliveries (event_seq, connection_id, next_attempt_at, enqueued_at, privacy_version) VALUES (?, ?, ?, ?, ?)'),
      selectDue: b.prepare(`SELECT d.id, d.connection_id, e.message_id, e.body, d.attempts, d.enqueued_at, d.privacy_version
        FROM deliveries d JOIN events e ON e.seq = d.event_seq
        WHERE d.connection_id = ? AND d.leased = 0 AND d.next_attempt_at <= ? ORDER BY d.next_attempt_at, d.id LIMIT ?`),
      // Ids travel as one JSON array: one statement per batch instead of one per delivery.
      markLeased: b.prepare('UPDATE deliveries SET leased = 1 WHERE id IN (SELECT value FROM json_each(?))'),
      countDue: b.prepare(`SELECT COUNT(*) AS n FROM (SELECT 1 FROM deliveries
        WHERE connection_id = ? AND leased = 0 AND next_attempt_at <= ? LIMIT ?)`),
      nextDue: b.prepare('SELECT MIN(next_attempt_at) AS at FROM deliveries WHERE connection_id = ? AND leased = 0'),
      deleteDeliveries: b.prepare('DELETE FROM deliveries WHERE id IN (SELECT value FROM json_each(?))'),
      reschedule: b.prepare('UPDATE deliveries SET leased = 0, next_attempt_at = ?, attempts = ?, last_error = ? WHERE id = ?'),
      release: b.prepare('UPDATE deliveries SET leased = 0, next_attempt_at = MAX(next_attempt_at, ?) WHERE id = ?'),
      // Dead-letter statements run on the durable connection, inside its transaction (see deadLetter).
      selectForDeadLetter: d.prepare(`SELECT d.connection_id, d.enqueued_at, e.message_id, e.source_id, e.body,
        COALESCE((SELECT identity_keys FROM event_identity_keys WHERE event_seq = e.seq), '[]') AS identity_keys
        FROM deliveries d JOIN events e ON e.seq = d.event_seq WHERE d.id = ?`),
      insertDeadLetter: d.prepare(`INSERT INTO dead_letters
        (connection_id, message_id, source_id, body, identity_keys, attempts, enqueued_at, dead_at, error)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      deleteDeadDelivery: d.prepare('DELETE FROM deliveries WHERE id = ?'),
      depth: b.prepare('SELECT connection_id, COUNT(*) AS n FROM deliveries GROUP BY connection_id'),
      // A skip scan of deliveries_by_age, one connection after another: its cost grows with the connections, not the
      // backlog (a GROUP BY reads every row: ~300 ms at 2M deliveries, on the queue thread, at every scrape).
      oldestQueued: b.prepare(`WITH RECURSIVE c(id) AS (
          SELECT MIN(connection_id) FROM deliveries
          UNION ALL SELECT (SELECT MIN(connection_id) FROM deliveries WHERE connection_id > c.id) FROM c WHERE c.id IS NOT NULL)
        SELECT id AS connection_id, (SELECT MIN(enqueued_at) FROM deliveries WHERE connection_id = c.id) AS at FROM c WHERE id IS NOT NULL`),
    };
  }

  private pendingEnqueues: Array<{ events: AcceptedEvent[]; resolve: () => void; reject: (error: unknown) => void }> = [];
  private enqueueScheduled = false;

  /**
   * Group commit: enqueues requested in the same turn of the event loop share one transaction and one
   * fsync. Each caller's promise still resolves only after its events are on disk.
   */
  enqueue(events: AcceptedEvent[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pendingEnqueues.push({ events, resolve, reject });
      if (!this.enqueueScheduled) {
        this.enqueueScheduled = true;
        setImmediate(() => this.commitEnqueues());
      }
    });
  }

  private commitEnqueues(): void {
    this.enqueueScheduled = false;
    const group = this.pendingEnqueues.splice(0);
    try {
      this.insertEvents(group.flatMap((g) => g.events));
      for (const g of group) g.resolve();
    } catch {
      // Isolate the failure: commit callers one by one so one bad write fails only its own request.
      for (const g of group) {
        try {
          this.insertEvents(g.events);
          g.resolve();
        } catch (error) {
          g.reject(error);
        }
      }
    }
  }

  private insertEvents(events: AcceptedEvent[]): void {
    const now = Date.now();
    const s = this.statements;
    this.durable.transaction(() => {
      for (const event of events) {
        if (event.connectionIds.length === 0) continue;
        const seq = s.insertEvent.run(event.messageId, event.sourceId, event.body, now).lastInsertRowid;
        if (event.identityKeys.length) s.insertIdentityKeys.run(seq, JSON.stringify(event.identityKeys));
        for (const connectionId of event.connectionIds) s.insertDelivery.run(seq, connectionId, now, now, event.privacyVersion ?? 0);
      }
    })();
  }

  async lease(connectionId: string, limit: number, now: number): Promise<QueuedDelivery[]> {
    const s = this.statements;
    return this.bookkeeping.transaction(() => {
      const rows = s.selectDue.all(connectionId, now, limit) as Row[];
      if (rows.length) s.markLeased.run(JSON.stringify(rows.map((row) => row.id)));
      return rows.map(toDelivery);
    })();
  }

  async countReady(connectionId: string, now: number, cap: number): Promise<number> {
    return Number((this.statements.countDue.get(connectionId, now, cap) as Row).n);
  }

  async nextDueAt(connectionId: string): Promise<number | undefined> {
    const at = (this.statements.nextDue.get(connectionId) as Row).at;
    return at === null ? undefined : Number(at);
  }

  async complete(ids: number[]): Promise<void> {
    if (ids.length) this.statements.deleteDeliveries.run(JSON.stringify(ids));
  }

  async reschedule(items: Reschedule[]): Promise<void> {
    const s = this.statements;
    this.bookkeeping.transaction(() => {
      for (const item of items) s.reschedule.run(item.nextAttemptAt, item.attempts, JSON.stringify(item.error), item.id);
    })();
  }

  async release(ids: number[], nextAttemptAt = 0): Promise<void> {
    const s = this.statements;
    this.bookkeeping.transaction(() => {
      for (const id of ids) s.release.run(nextAttemptAt, id);
    })();
  }

  async deadLetter(items: Array<{ id: number; attempts: number; error: DeliveryError }>, now: number): Promise<void> {
    const s = this.statements;
    // Dead letters are the operator's record of a loss; they get the durable connection's fsync.
    this.durable.transaction(() => {
      for (const item of items) {
        const row = s.selectForDeadLetter.get(item.id) as Row | undefined;
        if (!row) continue;
        s.insertDeadLetter.run(
          row.connection_id,
          row.message_id,
          row.source_id,
          row.body,
          row.identity_keys,
          item.attempts,
          row.enqueued_at,
          now,
          JSON.stringify(item.error),
        );
        s.deleteDeadDelivery.run(item.id);
      }
    })();
  }

  async listDeadLetters(filter: DeadLetterFilter = {}): Promise<DeadLetter[]> {
    const { where, params } = deadLetterWhere(filter);
    const rows = this.bookkeeping.prepare(`SELECT * FROM dead_letters ${where} ORDER BY id LIMIT ?`).all(...params, filter.limit ?? 100) as Row[];
    return rows.map((row) => ({ ...toDelivery(row), deadAt: Number(row.dead_at), error: JSON.parse(String(row.error)) as DeliveryError }));
  }

  async replayDeadLetters(filter: DeadLetterFilter, now: number): Promise<number> {
    const { where, params } = deadLetterWhere(filter);
    const s = this.statements;
    return this.durable.transaction(() => {
      const rows = this.durable.prepare(`SELECT * FROM dead_letters ${where} ORDER BY id LIMIT ?`).all(...params, filter.limit ?? -1) as Row[];
      const remove = this.durable.prepare('DELETE FROM dead_letters WHERE id = ?');
      for (const row of rows) {
        const seq = s.insertEvent.run(row.message_id, row.source_id, row.body, now).lastInsertRowid;
        if (row.identity_keys !== '[]') s.insertIdentityKeys.run(seq, row.identity_keys);
        // Version 0: a replayed delivery is checked against every revocation again before it leaves.
        s.insertDelivery.run(seq, row.connection_id, now, now, 0);
        remove.run(row.id);
      }
      return rows.length;
    })();
  }

  async purgeDeadLetters(filter: DeadLetterFilter): Promise<number> {
    const { where, params } = deadLetterWhere(filter);
    return this.durable
      .prepare(`DELETE FROM dead_letters WHERE id IN (SELECT id FROM dead_letters ${where} ORDER BY id LIMIT ?)`)
      .run(...params, filter.limit ?? -1).changes;
  }

  async purgeIdentity(identityKeys: string[]): Promise<{ events: number; deadLetters: number }> {
    if (identityKeys.length === 0) return { events: 0, deadLetters: 0 };
    const marks = identityKeys.map(() => '?').join(',');
    return this.durable.transaction(() => {
      const events = this.durable
        .prepare(
          `DELETE FROM events WHERE seq IN (SELECT event_seq FROM event_identity_keys WHERE EXISTS
        (SELECT 1 FROM json_each(identity_keys) WHERE value IN (${marks})))`,
        )
        .run(...identityKeys).changes;
      const deadLetters = this.durable
        .prepare(
          `DELETE FROM dead_letters WHERE EXISTS
        (SELECT 1 FROM json_each(dead_letters.identity_keys) WHERE value IN (${marks}))`,
        )
        .run(...identityKeys).changes;
      return { events, deadLetters };
    })();
  }

  async findByIdentity(identityKeys: string[]): Promise<Array<{ where: 'queue' | 'dead-letters'; connectionIds: string[]; body: string }>> {
    if (identityKeys.length === 0) return [];
    const marks = identityKeys.map(() => '?').join(',');
    const queued = this.bookkeeping
      .prepare(
        `SELECT e.body, (SELECT json_group_array(connection_id) FROM deliveries WHERE event_seq = e.seq) AS connections
      FROM events e WHERE e.seq IN (SELECT event_seq FROM event_identity_keys WHERE EXISTS
        (SELECT 1 FROM json_each(identity_keys) WHERE value IN (${marks}))) ORDER BY e.seq`,
      )
      .all(...identityKeys) as Row[];
    const dead = this.bookkeeping
      .prepare(
        `SELECT body, connection_id FROM dead_letters WHERE EXISTS
      (SELECT 1 FROM json_each(dead_letters.identity_keys) WHERE value IN (${marks})) ORDER BY id`,
      )
      .all(...identityKeys) as Row[];
    return [
      ...queued.map((row) => ({ where: 'queue' as const, connectionIds: JSON.parse(String(row.connections)) as string[], body: String(row.body) })),
      ...dead.map((row) => ({ where: 'dead-letters' as const, connectionIds: [String(row.connection_id)], body: String(row.body) })),
    ];
  }

  async depth(): Promise<Record<string, number>> {
    const rows = this.statements.depth.all() as Row[];
    return Object.fromEntries(rows.map((row) => [String(row.connection_id), Number(row.n)]));
  }

  async oldestQueuedAt(): Promise<Record<string, number>> {
    const rows = this.statements.oldestQueued.all() as Row[];
    return Object.fromEntries(rows.map((row) => [String(row.connection_id), Number(row.at)]));
  }

  async close(): Promise<void> {
    if (this.pendingEnqueues.length) this.commitEnqueues();
    if (this.bookkeeping.open) this.bookkeeping.close();
    if (this.durable.open) this.durable.close();
  }
}

function toDelivery(row: Row): QueuedDelivery {
  return {
    id: Number(row.id),
    connectionId: String(row.connection_id),
    messageId: String(row.message_id),
    body: String(row.body),
    attempts: Number(row.attempts),
    enqueuedAt: Number(row.enqueued_at),
    privacyVersion: Number(row.privacy_version ?? 0),
  };
}

/** Creates the schema, or brings a file of an earlier release up to it, in one transaction. */
function upgrade(db: Database.Database): void {
  db.transaction(() => {
    db.exec(SCHEMA);
    for (const { table, column, definition } of ADDED_COLUMNS) {
      const columns = db.prepare(`PRAGMA table_info(${table})`).all() as Array<{ name: string }>;
      if (!columns.some((c) => c.name === column)) db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${definition}`);
    }
    if (db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'event_identities'").get()) db.exec(MOVE_IDENTITIES_INTO_ARRAYS);
  })();
}

function open(file: string, synchronous: 'FULL' | 'NORMAL'): Database.Database {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous}`);
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  return db;
}

function deadLetterWhere(filter: DeadLetterFilter): { where: string; params: unknown[] } {
  const clauses: string[] = [];
  const params: unknown[] = [];
  if (filter.connectionId !== undefined) {
    clauses.push('connection_id = ?');
    params.push(filter.connectionId);
  }
  if (filter.ids !== undefined) {
    clauses.push(`id IN (${filter.ids.map(() => '?').join(',') || 'NULL'})`);
    params.push(...filter.ids);
  }
  if (filter.afterId !== undefined) {
    clauses.push('id > ?');
    params.push(filter.afterId);
  }
  return { where: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', params };
}
