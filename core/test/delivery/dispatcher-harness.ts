import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AnyConnector, ExportOutcome, ItemResult } from '@switchyard/sdk-kit';
import { ConnectionDispatcher, type SettledBatch } from '../../src/delivery/connection-dispatcher.js';
import { resolveDeliveryOptions, type DeliveryOverrides } from '../../src/delivery/delivery-options.js';
import { silentLogger } from '../../src/logging.js';
import { SqliteDeliveryQueue } from '../../src/queue/sqlite-delivery-queue.js';
import type { AcceptedEvent, DeliveryGate, QueuedDelivery } from '../../src/types.js';
import { TaskFailedError, type ConnectionWorkerPool } from '../../src/workers/worker-pool.js';
import type { DeliveryReply } from '../../src/workers/worker-protocol.js';

export const CONNECTION = 'hook';
export const OK: ItemResult = { status: 'ok' };

export interface RunCall {
  messageIds: string[];
  checkpoint: number | undefined;
  at: number;
}
type Respond = (messageIds: string[], call: number) => ItemResult[] | Promise<ItemResult[]>;

/**
 * Stands in for a connection's worker pool: answers each task as the test scripts it (every item ok unless
 * told otherwise), records what it was sent, and rejects unfinished tasks on close as the real pool does.
 * Emits 'run' when a task arrives.
 */
export class ScriptedPool extends EventEmitter {
  readonly calls: RunCall[] = [];
  inFlight = 0;
  maxInFlight = 0;
  closed = false;
  private readonly unfinished = new Set<(error: Error) => void>();

  constructor(public respond: Respond = (ids) => ids.map(() => OK)) {
    super();
  }

  async run(events: string, privacyCheckpoint?: number): Promise<DeliveryReply> {
    const messageIds = (JSON.parse(events) as Array<{ messageId: string }>).map((e) => e.messageId);
    const call = this.calls.push({ messageIds, checkpoint: privacyCheckpoint, at: Date.now() }) - 1;
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    this.emit('run', this.calls[call]);
    try {
      return await new Promise<DeliveryReply>((resolve, reject) => {
        this.unfinished.add(reject);
        Promise.resolve(this.respond(messageIds, call))
          .then((results) => resolve({ results }), reject)
          .finally(() => this.unfinished.delete(reject));
      });
    } finally {
      this.inFlight -= 1;
    }
  }

  async forwardDeletion(): Promise<ItemResult> {
    return OK;
  }
  async forwardExport(): Promise<ExportOutcome> {
    return { result: OK, records: [] };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const reject of this.unfinished) reject(new TaskFailedError('POOL_CLOSED', 'the worker pool is closed'));
  }

  sentIds(): string[] {
    return this.calls.flatMap((c) => c.messageIds);
  }
}

/** A gate that records what it was asked and answers with `decide` (deliver everything by default). */
export function scriptedGate(decide: (item: QueuedDelivery, call: number) => boolean = () => true, checkpoint?: (call: number) => number) {
  const calls: Array<Array<{ messageId: string; privacyVersion: number }>> = [];
  const gate: DeliveryGate = async (_connectionId, items) => {
    const call = calls.push(items.map((i) => ({ messageId: i.messageId, privacyVersion: i.privacyVersion }))) - 1;
    return {
      verdicts: items.map((item) => ({ deliver: decide(item, call) })),
      ...(checkpoint ? { checkpoint: checkpoint(call) } : {}),
    };
  };
  return { gate, calls };
}

// A connector whose actions batch, so options resolve as they would for a batching destination.
const batchingConnector = { actions: { send: { performBatch: async () => [] } } } as unknown as AnyConnector;

export function event(messageId: string, overrides: Partial<AcceptedEvent> = {}): AcceptedEvent {
  return {
    messageId,
    sourceId: 'web',
    body: JSON.stringify({ messageId }),
    identityKeys: ['user_id:u1'],
    connectionIds: [CONNECTION],
    privacyVersion: 1,
    ...overrides,
  };
}

/**
 * A dispatcher for `hook` over a real SQLite queue in a temp dir and a scripted pool. Batches go out at once
 * (maxWaitMs 0) unless a test says otherwise. Records settled batches, breaker states and health changes.
 */
export function useDispatcher() {
  const t = {
    settled: [] as SettledBatch[],
    breaker: [] as string[],
    health: [] as string[],
  } as {
    dir: string;
    queue: SqliteDeliveryQueue;
    pool: ScriptedPool;
    dispatcher?: ConnectionDispatcher;
    settled: SettledBatch[];
    breaker: string[];
    health: string[];
    start(options?: { overrides?: DeliveryOverrides; gate?: DeliveryGate; pool?: ScriptedPool }): ConnectionDispatcher;
    until(condition: () => boolean, timeoutMs?: number): Promise<void>;
    total(field: 'delivered' | 'retried' | 'deadLettered' | 'dropped'): string[];
  };

  beforeEach(() => {
    t.dir = mkdtempSync(join(tmpdir(), 'switchyard-dispatcher-'));
    t.queue = new SqliteDeliveryQueue(join(t.dir, 'queue.db'));
    t.pool = new ScriptedPool();
    t.dispatcher = undefined;
    t.settled = [];
    t.breaker = [];
    t.health = [];
  });

  afterEach(async () => {
    await t.dispatcher?.stop();
    await t.queue.close();
    rmSync(t.dir, { recursive: true, force: true });
  });

  t.start = ({ overrides = {}, gate, pool } = {}) => {
    if (pool) t.pool = pool;
    const options = resolveDeliveryOptions(batchingConnector, {
      drainTimeoutMs: 200,
      ...overrides,
      batch: { maxWaitMs: 0, ...overrides.batch },
    });
    const dispatcher = new ConnectionDispatcher(CONNECTION, t.queue, t.pool as unknown as ConnectionWorkerPool, options, silentLogger, gate);
    dispatcher.on('settled', (batch: SettledBatch) => t.settled.push(batch));
    dispatcher.on('breaker', (state: string) => t.breaker.push(state));
    dispatcher.on('health', (health: string) => t.health.push(health));
    t.dispatcher = dispatcher;
    dispatcher.start();
    return dispatcher;
  };

  /** Resolves once `condition` holds, checked whenever the dispatcher or the pool reports something. */
  t.until = (condition, timeoutMs = 5000) =>
    new Promise<void>((resolve, reject) => {
      const sources: Array<[EventEmitter, string[]]> = [
        [t.dispatcher!, ['settled', 'breaker', 'health']],
        [t.pool, ['run']],
      ];
      const check = () => {
        if (!condition()) return;
        done();
        resolve();
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`condition not met within ${timeoutMs} ms`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        for (const [emitter, names] of sources) for (const name of names) emitter.off(name, check);
      };
      for (const [emitter, names] of sources) for (const name of names) emitter.on(name, check);
      check();
    });

  t.total = (field) => t.settled.flatMap((batch) => batch[field]);
  return t;
}
