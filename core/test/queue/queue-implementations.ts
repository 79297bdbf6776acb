import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DeliveryQueue } from '../../src/queue/delivery-queue.js';
import { SqliteDeliveryQueue } from '../../src/queue/sqlite-delivery-queue.js';
import { ThreadedSqliteQueue } from '../../src/queue/threaded-sqlite-queue.js';
import type { AcceptedEvent, DeliveryError } from '../../src/types.js';

/** Every DeliveryQueue we ship; the contract suites run against each. */
export const QUEUE_IMPLEMENTATIONS: Array<{ name: string; open: (file: string) => Promise<DeliveryQueue> }> = [
  { name: 'SqliteDeliveryQueue', open: async (file) => new SqliteDeliveryQueue(file) },
  { name: 'ThreadedSqliteQueue', open: (file) => ThreadedSqliteQueue.open(file) },
];

/** A queue file in a fresh temp dir per test, closed and removed afterwards; `reopen` closes and opens the same file. */
export function useQueue(open: (file: string) => Promise<DeliveryQueue>) {
  const t = {} as { dir: string; file: string; queue: DeliveryQueue; reopen: () => Promise<DeliveryQueue> };
  beforeEach(async () => {
    t.dir = mkdtempSync(join(tmpdir(), 'switchyard-queue-'));
    t.file = join(t.dir, 'queue.db');
    t.queue = await open(t.file);
    t.reopen = async () => {
      await t.queue.close();
      t.queue = await open(t.file);
      return t.queue;
    };
  });
  afterEach(async () => {
    await t.queue.close();
    rmSync(t.dir, { recursive: true, force: true });
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
