import { EventEmitter } from 'node:events';
import PQueue from 'p-queue';
import type CircuitBreaker from 'opossum';
import {
  PRIVACY_RECHECK,
  RateLimiter,
  type ExportOutcome,
  type HttpExchange,
  type ItemResult,
  type ListMembersOutcome,
  type ListMembersRequest,
} from '@switchyard/sdk-kit';
import type { DeliveryQueue } from '../queue/delivery-queue.js';
import type { DeliveryError, DeliveryGate, QueuedDelivery, Reschedule } from '../types.js';
import type { Logger } from '../logging.js';
import { breakerState, createDeliveryBreaker, FailedTask, type BreakerState } from '../workers/circuit-breaker.js';
import type { DeliveryOptions } from './delivery-options.js';
import { decideRetry } from './retry-policy.js';
import { TaskFailedError, type ConnectionWorkerPool } from '../workers/worker-pool.js';
import type { DeliveryReply } from '../workers/worker-protocol.js';

export type ConnectionHealth = 'healthy' | 'unhealthy';

export interface ConnectionStats {
  delivered: number;
  retried: number;
  rateLimited: number;
  deadLettered: number;
  dropped: number;
  tasks: number;
  failedTasks: number;
  inFlight: number;
  health: ConnectionHealth;
  healthReason?: string;
  breaker: BreakerState;
}

export interface SettledBatch {
  connectionId: string;
  delivered: string[];
  retried: string[];
  deadLettered: string[];
  dropped: string[];
  /** Delivered items the connector answered with an ok code (`UNMATCHED`: an audience member the destination cannot match). */
  okCodes?: Record<string, string>;
  /** Per delivered item, milliseconds from acceptance (queueing) to delivery. */
  latenciesMs?: number[];
  /** Per retried or dead-lettered item, what failed. */
  failures?: DeliveryFailure[];
  /** The HTTP requests the attempt made, when exchanges were being captured (the live view). */
  exchanges?: HttpExchange[];
}

export interface DeliveryFailure {
  messageId: string;
  outcome: 'retried' | 'dead_lettered';
  code: string;
  /** The connector's message, with secrets already removed in the worker. */
  message?: string;
  httpStatus?: number;
}

const IDLE_POLL_MS = 1000;

/**
 * Moves one connection's deliveries from the durable queue to its worker pool: micro-batches them,
 * bounds concurrency and rate (p-queue), guards the destination with a circuit breaker (opossum), and
 * settles each item — done, retried with backoff, or dead-lettered.
 */
export class ConnectionDispatcher extends EventEmitter {
  private readonly tasks: PQueue;
  private readonly rate?: RateLimiter;
  private readonly breaker: CircuitBreaker<[string, number | undefined, boolean], DeliveryReply>;
  /** Whether someone watches this connection's attempts; the runtime sets it. */
  captureExchanges: () => boolean = () => false;
  private readonly leased = new Map<number, QueuedDelivery>();
  private readonly counters = { delivered: 0, retried: 0, rateLimited: 0, deadLettered: 0, dropped: 0, tasks: 0, failedTasks: 0 };
  private health: ConnectionHealth = 'healthy';
  private healthReason?: string;
  private timer?: NodeJS.Timeout;
  private timerAt = Infinity;
  private pumping = false;
  private wakeRequested = false;
  private stopping = false;
  private probing = false;
  /** The last failed task's first error, the reason given when the breaker opens. */
  private lastFailure?: string;
  private pausedUntil = 0;
  private batchWaitStartedAt?: number;

  constructor(
    readonly connectionId: string,
    private readonly queue: DeliveryQueue,
    private readonly pool: ConnectionWorkerPool,
    private readonly options: DeliveryOptions,
    private readonly log: Logger,
    private readonly gate?: DeliveryGate,
  ) {
    super();
    // A worker thread runs one task at a time: more tasks than twice the threads would only wait inside the pool,
    // past the breaker's reach (an opened breaker hands back tasks still here, not those already fired).
    this.tasks = new PQueue({ concurrency: Math.min(options.maxConcurrency, 2 * options.workers.maxThreads) });
    if (options.ratePerSecond) this.rate = new RateLimiter(Math.max(1, Math.round(options.ratePerSecond)));
    this.breaker = createDeliveryBreaker((events, checkpoint, capture) => pool.run(events, checkpoint, capture), options.breaker);
    this.breaker.on('open', () => {
      this.probing = false;
      this.log.warn(
        { connection: connectionId, reason: this.lastFailure, retryInMs: options.breaker?.resetTimeoutMs },
        `circuit breaker opened: ${this.lastFailure ?? 'tasks failed'}; deliveries wait in the queue until a probe succeeds`,
      );
      this.emit('breaker', 'open');
    });
    this.breaker.on('halfOpen', () => {
      this.log.info({ connection: connectionId }, 'circuit breaker half-open: probing the destination');
      this.emit('breaker', 'half-open');
      this.wake();
    });
    this.breaker.on('close', () => {
      this.probing = false;
      this.log.info({ connection: connectionId }, 'circuit breaker closed');
      this.emit('breaker', 'closed');
      this.wake();
    });
  }

  start(): void {
    this.wake();
  }

  /** Something may be ready: new events, a finished task, a breaker probe. Coalesces concurrent calls. */
  wake(): void {
    if (this.stopping) return;
    if (this.pumping) {
      this.wakeRequested = true;
      return;
    }
    this.pumping = true;
    void this.pump().finally(() => {
      this.pumping = false;
    });
  }

  stats(): ConnectionStats {
    return {
      ...this.counters,
      inFlight: this.leased.size,
      health: this.health,
      ...(this.healthReason ? { healthReason: this.healthReason } : {}),
      breaker: breakerState(this.breaker),
    };
  }

  /** Runs the connector's onDelete for a data subject in this connection's workers. */
  async forwardDeletion(identities: Record<string, string>): Promise<ItemResult> {
    try {
      return await this.pool.forwardDeletion(identities);
    } catch (error) {
      return resultForTaskError(error);
    }
  }

  /** Runs the connector's onExport for a data subject in this connection's workers. */
  async forwardExport(identities: Record<string, string>): Promise<ExportOutcome> {
    try {
      return await this.pool.forwardExport(identities);
    } catch (error) {
      return { result: resultForTaskError(error), records: [] };
    }
  }

  /** One page of the destination audience, read by a worker like any task (a failure is a result, not a throw). */
  async listAudienceMembers(request: ListMembersRequest): Promise<ListMembersOutcome> {
    try {
      return await this.pool.listAudienceMembers(request);
    } catch (error) {
      return { result: resultForTaskError(error), members: [] };
    }
  }

  private async pump(): Promise<void> {
    try {
      do {
        this.wakeRequested = false;
        await this.fill();
      } while (this.wakeRequested && !this.stopping);
    } catch (error) {
      this.log.error({ err: error, connection: this.connectionId }, 'dispatch failed; trying again shortly');
      this.scheduleWake(Date.now() + IDLE_POLL_MS);
    }
  }

  private async fill(): Promise<void> {
    const { maxItems, maxWaitMs } = this.options.batch;
    const maxQueuedTasks = this.tasks.concurrency * 2;
    while (!this.stopping) {
      const now = Date.now();
      if (now < this.pausedUntil) return this.scheduleWake(this.pausedUntil);
      if (this.breaker.opened) return;
      if (this.breaker.halfOpen && this.probing) return;
      if (this.tasks.size + this.tasks.pending >= maxQueuedTasks) return;

      const ready = await this.queue.countReady(this.connectionId, now, maxItems);
      if (ready === 0) {
        this.batchWaitStartedAt = undefined;
        const next = await this.queue.nextDueAt(this.connectionId);
        return this.scheduleWake(Math.min(next ?? Infinity, now + IDLE_POLL_MS));
      }
      if (ready < maxItems && maxWaitMs > 0) {
        this.batchWaitStartedAt ??= now;
        const flushAt = this.batchWaitStartedAt + maxWaitMs;
        if (now < flushAt) return this.scheduleWake(flushAt);
      }
      this.batchWaitStartedAt = undefined;

      const allowed = this.rate?.available(now) ?? Infinity;
      if (allowed === 0) return this.scheduleWake(this.rate!.nextAt(now));
      const probe = this.breaker.halfOpen;
      // Per-event tasks are spread over the threads: a shallow queue still uses the whole maxConcurrency.
      const perTask = this.options.batches ? maxItems : Math.min(allowed, Math.ceil(ready / this.options.workers.maxThreads));
      const limit = probe ? 1 : perTask;
      const items = await this.queue.lease(this.connectionId, limit, now);
      if (items.length === 0) continue;
      if (probe) this.probing = true;
      for (const item of items) this.leased.set(item.id, item);
      const chunks = splitByBytes(items, this.options.batch.maxBytes);
      this.rate?.take(this.options.batches ? chunks.length : items.length, now);
      for (const chunk of chunks) this.submit(chunk);
    }
  }

  private submit(items: QueuedDelivery[]): void {
    this.tasks
      .add(() => this.deliver(items))
      .catch((error: unknown) => this.log.error({ err: error, connection: this.connectionId }, 'settling a task failed'))
      .finally(() => this.wake());
  }

  private async deliver(items: QueuedDelivery[]): Promise<void> {
    if (this.stopping) return;
    // A rate limit answered while this task waited pauses it too: its items wait out the pause in the queue.
    if (Date.now() < this.pausedUntil) return this.handBack(items, this.pausedUntil);
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => {
      finish = resolve;
    });
    try {
      await this.gateAndSend(items, finished);
    } finally {
      finish();
    }
  }

  /**
   * Gates the items, sends what may go, settles the results. Items a worker hands back because a revocation
   * landed after the gate's check go through the gate again (they carry version 0, so they are re-read).
   */
  private async gateAndSend(items: QueuedDelivery[], finished: Promise<void>): Promise<void> {
    let pending = items;
    while (pending.length > 0 && !this.stopping) {
      const { sendable, checkpoint } = await this.applyGate(pending, finished);
      if (sendable.length === 0) {
        // A breaker probe the gate dropped proved nothing: let the next delivery probe instead.
        if (this.breaker.halfOpen) this.probing = false;
        return;
      }
      const reply = await this.send(sendable, checkpoint);
      if (!reply) return;
      const { results } = reply;
      const handedBack = sendable.filter((_, i) => results[i]?.code === PRIVACY_RECHECK);
      const settled = sendable.filter((_, i) => results[i]?.code !== PRIVACY_RECHECK);
      if (settled.length)
        await this.settle(
          settled,
          results.filter((r) => r?.code !== PRIVACY_RECHECK),
          reply.exchanges,
        );
      pending = handedBack.map((item) => ({ ...item, privacyVersion: 0 }));
    }
  }

  private async applyGate(items: QueuedDelivery[], finished: Promise<void>): Promise<{ sendable: QueuedDelivery[]; checkpoint?: number }> {
    if (!this.gate) return { sendable: items };
    const { verdicts, checkpoint } = await this.gate(this.connectionId, items, finished);
    const dropped = items.filter((_, i) => verdicts[i]?.deliver === false);
    if (dropped.length) await this.drop(dropped);
    return { sendable: items.filter((_, i) => verdicts[i]?.deliver !== false), checkpoint };
  }

  /** Results per item, or undefined when the items were handed back to the queue untouched. */
  private async send(items: QueuedDelivery[], checkpoint: number | undefined): Promise<DeliveryReply | undefined> {
    this.counters.tasks += 1;
    const body = `[${items.map((item) => item.body).join(',')}]`;
    try {
      return await this.breaker.fire(body, checkpoint, this.captureExchanges());
    } catch (error) {
      if (this.stopping) return undefined; // shutdown hands leased items back untouched
      if ((error as { code?: string }).code === 'EOPENBREAKER') {
        await this.handBack(items, Date.now());
        return undefined;
      }
      this.counters.failedTasks += 1;
      const reply = error instanceof FailedTask ? error.reply : { results: items.map(() => resultForTaskError(error)) };
      const failed = reply.results.find((r) => r.status !== 'ok');
      this.lastFailure = failed ? `${failed.code ?? failed.status}${failed.message ? `: ${failed.message}` : ''}` : undefined;
      return reply;
    }
  }

  private async settle(items: QueuedDelivery[], results: ItemResult[], exchanges?: HttpExchange[]): Promise<void> {
    const now = Date.now();
    const completed: number[] = [];
    const rescheduled: Reschedule[] = [];
    const dead: Array<{ id: number; attempts: number; error: DeliveryError }> = [];
    const outcome: SettledBatch = {
      connectionId: this.connectionId,
      delivered: [],
      retried: [],
      deadLettered: [],
      dropped: [],
      latenciesMs: [],
      failures: [],
      ...(exchanges ? { exchanges } : {}),
    };

    items.forEach((item, i) => {
      const result = results[i] ?? { status: 'retryable', code: 'MISSING_RESULT', message: 'the connector returned no result for this item' };
      const decision = decideRetry(result, item, this.options.retry, now);
      const error = errorOf(result);
      if (decision.action === 'complete') {
        completed.push(item.id);
        outcome.delivered.push(item.messageId);
        if (result.status === 'ok' && result.code) (outcome.okCodes ??= {})[item.messageId] = result.code;
        outcome.latenciesMs!.push(now - item.enqueuedAt);
        this.counters.delivered += 1;
        if (this.health === 'unhealthy') this.markHealth('healthy');
      } else if (decision.action === 'retry') {
        rescheduled.push({ id: item.id, nextAttemptAt: decision.nextAttemptAt, attempts: decision.attempts, error });
        outcome.retried.push(item.messageId);
        outcome.failures!.push(failureOf(item.messageId, 'retried', result, error));
        this.counters.retried += 1;
        if (result.status === 'rate_limited') {
          this.counters.rateLimited += 1;
          this.pausedUntil = Math.max(this.pausedUntil, decision.nextAttemptAt);
        }
      } else {
        dead.push({
          id: item.id,
          attempts: decision.attempts,
          error: { ...error, message: `${error.message ?? error.code ?? 'failed'} (${decision.reason})` },
        });
        outcome.deadLettered.push(item.messageId);
        outcome.failures!.push(failureOf(item.messageId, 'dead_lettered', result, error));
        this.counters.deadLettered += 1;
        if (result.status === 'authentication') this.markHealth('unhealthy', `authentication failed: ${error.message ?? error.code}`);
      }
    });

    if (rescheduled.length) {
      this.log.info(
        {
          connection: this.connectionId,
          count: rescheduled.length,
          error: rescheduled[0]!.error,
          nextAttemptAt: new Date(Math.min(...rescheduled.map((r) => r.nextAttemptAt))).toISOString(),
        },
        'deliveries will be retried',
      );
    }
    if (completed.length) await this.queue.complete(completed);
    if (rescheduled.length) await this.queue.reschedule(rescheduled);
    if (dead.length) {
      await this.queue.deadLetter(dead, now);
      this.log.warn({ connection: this.connectionId, count: dead.length, error: dead[0]!.error }, 'deliveries dead-lettered');
    }
    for (const item of items) this.leased.delete(item.id);
    if (rescheduled.length) this.scheduleWake(Math.min(...rescheduled.map((r) => r.nextAttemptAt)));
    this.emit('settled', outcome);
  }

  /** Returns leased items to the queue untouched, due again at `at` at the earliest. */
  private async handBack(items: QueuedDelivery[], at: number): Promise<void> {
    await this.queue.release(
      items.map((i) => i.id),
      at,
    );
    for (const item of items) this.leased.delete(item.id);
  }

  private async drop(items: QueuedDelivery[]): Promise<void> {
    await this.queue.complete(items.map((i) => i.id));
    for (const item of items) this.leased.delete(item.id);
    this.counters.dropped += items.length;
    this.emit('settled', { connectionId: this.connectionId, delivered: [], retried: [], deadLettered: [], dropped: items.map((i) => i.messageId) });
  }

  private markHealth(health: ConnectionHealth, reason?: string): void {
    this.health = health;
    this.healthReason = reason;
    if (health === 'unhealthy') this.log.error({ connection: this.connectionId, reason }, 'connection marked unhealthy');
    this.emit('health', health, reason);
  }

  private scheduleWake(at: number): void {
    if (this.stopping || !Number.isFinite(at) || at >= this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.timerAt = Infinity;
        this.wake();
      },
      Math.max(0, at - Date.now()),
    );
    this.timer.unref();
  }

  /** Stops taking work, waits for in-flight tasks up to the drain timeout, hands the rest back to the queue. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    this.tasks.clear();
    const drained = await Promise.race([
      this.tasks.onIdle().then(() => true),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), this.options.drainTimeoutMs).unref()),
    ]);
    if (!drained) this.log.warn({ connection: this.connectionId, inFlight: this.leased.size }, 'shutdown: requeueing unfinished tasks');
    await this.queue.release([...this.leased.keys()]);
    this.leased.clear();
    this.breaker.shutdown();
    await this.pool.close();
  }
}

function errorOf(result: ItemResult): DeliveryError {
  return {
    status: result.status,
    ...(result.code ? { code: result.code } : {}),
    ...(result.message ? { message: result.message } : {}),
    ...(result.httpStatus ? { httpStatus: result.httpStatus } : {}),
  };
}

function resultForTaskError(error: unknown): ItemResult {
  if (error instanceof TaskFailedError) return { status: 'retryable', code: error.code, message: error.message };
  return { status: 'retryable', code: 'TASK_FAILED', message: (error as Error)?.message ?? String(error) };
}

function splitByBytes(items: QueuedDelivery[], maxBytes: number): QueuedDelivery[][] {
  const chunks: QueuedDelivery[][] = [];
  let current: QueuedDelivery[] = [];
  let size = 0;
  for (const item of items) {
    const bytes = item.body.length;
    if (current.length > 0 && size + bytes > maxBytes) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(item);
    size += bytes;
  }
  if (current.length) chunks.push(current);
  return chunks;
}

function failureOf(messageId: string, outcome: DeliveryFailure['outcome'], result: ItemResult, error: DeliveryError): DeliveryFailure {
  return {
    messageId,
    outcome,
    code: error.code ?? result.status,
    ...(error.message ? { message: error.message } : {}),
    ...(result.httpStatus ? { httpStatus: result.httpStatus } : {}),
  };
}
