import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { DeliveryQueue } from './delivery-queue.js';
import type { AcceptedEvent, DeadLetter, DeadLetterFilter, DeliveryError, QueuedDelivery, Reschedule } from '../types.js';

// Resolved against the compiled output so the same path works from src (tests) and dist (production).
const THREAD_FILE = fileURLToPath(new URL('../../dist/queue/queue-thread.js', import.meta.url));

// Each pending call resolves with its own method's result type.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Pending = { resolve: (value: any) => void; reject: (error: Error) => void };

/**
 * The embedded SQLite queue, run on a thread of its own (queue-thread.ts). Same contract as
 * SqliteDeliveryQueue; every call is a message to that thread.
 */
export class ThreadedSqliteQueue implements DeliveryQueue {
  private nextId = 0;
  private readonly pending = new Map<number, Pending>();
  private failure?: Error;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (reply: { id: number; result?: unknown; error?: { message: string; code?: string } }) => {
      const call = this.pending.get(reply.id);
      if (!call) return;
      this.pending.delete(reply.id);
      if (reply.error) call.reject(Object.assign(new Error(reply.error.message), { code: reply.error.code }));
      else call.resolve(reply.result);
    });
    const fail = (error: Error) => {
      this.failure = new Error(`the queue thread stopped (${error.message}); restart Switchyard — accepted events are safe on disk`);
      for (const call of this.pending.values()) call.reject(this.failure);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (!this.failure) fail(new Error(`exit code ${code}`));
    });
  }

  static async open(file: string): Promise<ThreadedSqliteQueue> {
    const worker = new Worker(THREAD_FILE, { workerData: { file } });
    const ready = await new Promise<{ ready: boolean; error?: { message: string } }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    if (!ready.ready) {
      await worker.terminate();
      throw new Error(`cannot open the queue at ${file}: ${ready.error?.message}`);
    }
    return new ThreadedSqliteQueue(worker);
  }

  private call<T>(method: keyof DeliveryQueue, ...args: unknown[]): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<T>((resolve, reject) => {
      const id = this.nextId++;
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, method, args });
    });
  }

  enqueue(events: AcceptedEvent[]): Promise<void> {
    return this.call('enqueue', events);
  }
  lease(connectionId: string, limit: number, now: number): Promise<QueuedDelivery[]> {
    return this.call('lease', connectionId, limit, now);
  }
  countReady(connectionId: string, now: number, cap: number): Promise<number> {
    return this.call('countReady', connectionId, now, cap);
  }
  nextDueAt(connectionId: string): Promise<number | undefined> {
    return this.call('nextDueAt', connectionId);
  }
  complete(ids: number[]): Promise<void> {
    return this.call('complete', ids);
  }
  reschedule(items: Reschedule[]): Promise<void> {
    return this.call('reschedule', items);
  }
  release(ids: number[], nextAttemptAt?: number): Promise<void> {
    return this.call('release', ids, nextAttemptAt);
  }
  deadLetter(items: Array<{ id: number; attempts: number; error: DeliveryError }>, now: number): Promise<void> {
    return this.call('deadLetter', items, now);
  }
  listDeadLetters(filter?: DeadLetterFilter): Promise<DeadLetter[]> {
    return this.call('listDeadLetters', filter);
  }
  replayDeadLetters(filter: DeadLetterFilter, now: number): Promise<number> {
    return this.call('replayDeadLetters', filter, now);
  }
  purgeDeadLetters(filter: DeadLetterFilter): Promise<number> {
    return this.call('purgeDeadLetters', filter);
  }
  purgeIdentity(identityKeys: string[]): Promise<{ events: number; deadLetters: number }> {
    return this.call('purgeIdentity', identityKeys);
  }
  findByIdentity(identityKeys: string[]): Promise<Array<{ where: 'queue' | 'dead-letters'; connectionIds: string[]; body: string }>> {
    return this.call('findByIdentity', identityKeys);
  }
  depth(): Promise<Record<string, number>> {
    return this.call('depth');
  }
  oldestQueuedAt(): Promise<Record<string, number>> {
    return this.call('oldestQueuedAt');
  }

  async close(): Promise<void> {
    if (!this.failure) await this.call('close');
    this.failure ??= new Error('the queue is closed');
    await this.worker.terminate();
  }
}
