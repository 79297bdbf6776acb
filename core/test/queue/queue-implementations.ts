import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import type { DeliveryQueue } from '../../src/queue/delivery-queue.js';
import { SqliteDeliveryQueue } from '../../src/queue/sqlite-delivery-queue.js';
import { ThreadedSqliteQueue } from '../../src/queue/threaded-sqlite-queue.js';
import { NatsDeliveryQueue } from '../../src/queue/nats/nats-delivery-queue.js';
import { removeNatsQueue } from '../../src/queue/nats/nats-link.js';
import type { AcceptedEvent, DeliveryError } from '../../src/types.js';

/** The NATS with JetStream the tests use (SWITCHYARD_TEST_NATS overrides it). */
export const TEST_NATS = process.env.SWITCHYARD_TEST_NATS ?? 'nats://127.0.0.1:4222';

/** A stream name no other test run uses; remove it with removeNatsQueue. */
export function uniqueStreamName(): string {
  return `SYTEST_${process.pid}_${randomUUID().slice(0, 8)}`;
}

export interface QueueImplementation {
  name: string;
  /** Where a fresh queue lives: a file path (SQLite) or a stream name (NATS). */
  newLocation: () => string;
  open: (location: string) => Promise<DeliveryQueue>;
  /** Removes everything stored at the location. */
  dispose: (location: string) => Promise<void>;
}

const sqliteLocation = () => join(mkdtempSync(join(tmpdir(), 'switchyard-queue-')), 'queue.db');
const removeSqlite = async (file: string) => rmSync(dirname(file), { recursive: true, force: true });

export const SQLITE_QUEUES: QueueImplementation[] = [
  { name: 'SqliteDeliveryQueue', newLocation: sqliteLocation, open: async (file) => new SqliteDeliveryQueue(file), dispose: removeSqlite },
  { name: 'ThreadedSqliteQueue', newLocation: sqliteLocation, open: (file) => ThreadedSqliteQueue.open(file), dispose: removeSqlite },
];

export const NATS_QUEUE: QueueImplementation = {
  name: 'NatsDeliveryQueue',
  newLocation: uniqueStreamName,
  open: (stream) => NatsDeliveryQueue.open({ servers: [TEST_NATS], stream }),
  dispose: (stream) => removeNatsQueue([TEST_NATS], stream),
};

/** Every DeliveryQueue we ship; the contract suites run against each. */
export const QUEUE_IMPLEMENTATIONS: QueueImplementation[] = [...SQLITE_QUEUES, NATS_QUEUE];

/** A fresh queue per test, closed and removed afterwards; `reopen` closes it and opens the same location. */
export function useQueue(implementation: QueueImplementation) {
  const t = {} as { location: string; queue: DeliveryQueue; reopen: () => Promise<DeliveryQueue> };
  beforeEach(async () => {
    t.location = implementation.newLocation();
    t.queue = await implementation.open(t.location);
    t.reopen = async () => {
      await t.queue.close();
      t.queue = await implementation.open(t.location);
      return t.queue;
    };
  });
  afterEach(async () => {
    await t.queue.close();
    await implementation.dispose(t.location);
  });
  return t;
}

let counter = 0;

/** An accepted event for user u1 routed to `hook`, unless told otherwise. */
export function acceptedEvent(overrides: Partial<AcceptedEvent> = {}): AcceptedEvent {
  const messageId = overrides.messageId ?? `m-${++counter}`;
  return {
    messageId,
    sourceId: 'web',
    body: JSON.stringify({ messageId }),
    identityKeys: ['user_id:u1'],
    connectionIds: ['hook'],
    privacyVersion: 0,
    ...overrides,
  };
}

export const HTTP_503: DeliveryError = { status: 'retryable', code: 'HTTP_503', message: 'service unavailable', httpStatus: 503 };
export const HTTP_422: DeliveryError = { status: 'permanent', code: 'HTTP_422', message: 'unknown field total', httpStatus: 422 };

/** Reads the queue file directly, for state the queue's interface does not expose (a delivery's last error). */
export function readRows(file: string, sql: string, ...params: unknown[]): Array<Record<string, unknown>> {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare(sql).all(...params) as Array<Record<string, unknown>>;
  } finally {
    db.close();
  }
}

/** Enqueues the events and dead-letters all of them (one per delivery), as a dispatcher giving up would. */
export async function deadLettered(queue: DeliveryQueue, events: AcceptedEvent[], deadAt = Date.now()): Promise<void> {
  await queue.enqueue(events);
  const connections = [...new Set(events.flatMap((e) => e.connectionIds))];
  for (const connectionId of connections) {
    const leased = await queue.lease(connectionId, 1000, Date.now() + 60_000);
    await queue.deadLetter(
      leased.map((d) => ({ id: d.id, attempts: 1, error: HTTP_422 })),
      deadAt,
    );
  }
}
