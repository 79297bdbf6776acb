import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { AnyConnector, ItemResult, ListMembersOutcome, ListMembersRequest, Mapping, SubjectRecord } from '@switchyard/sdk-kit';
import type { DeliveryQueue } from '../queue/delivery-queue.js';
import type { AcceptedEvent, DeadLetter, DeadLetterFilter } from '../types.js';
import type { Logger } from '../logging.js';
import { ConnectionDispatcher, type ConnectionStats, type SettledBatch } from './connection-dispatcher.js';
import type { DeliveryGate } from '../types.js';
import type { DeliveryOverrides } from '../config/config-types.js';
import { resolveDeliveryOptions } from './delivery-options.js';
import { ConnectionWorkerPool } from '../workers/worker-pool.js';
import { EventEmitter } from 'node:events';
import type { RevocationBoard } from '../revocation/revocation-board.js';

/** A configured connector instance, as the runtime needs it. */
export interface RuntimeConnection {
  id: string;
  connector: AnyConnector;
  moduleUrl: string;
  settings: unknown;
  delivery?: DeliveryOverrides;
  mappingOverrides?: Record<string, Record<string, Mapping>>;
  enabledActions?: string[];
  /** Declared egress host → base URL to use instead (vendor sandboxes, contract tests). */
  endpointOverrides?: Record<string, string>;
}

export interface DeliveryRuntimeOptions {
  queue: DeliveryQueue;
  storageDir: string;
  log: Logger;
  gate?: DeliveryGate;
  /** Shared with every connection's workers, for the privacy check right before bytes leave. */
  revocations?: RevocationBoard;
  /** `logging.level` of the config, for connector code; read when a connection (re)starts. */
  logLevel?: () => string | undefined;
}

/**
 * Owns one dispatcher (and worker pool) per enabled connection. Connections can be added, changed and
 * removed while running; their queued deliveries stay in the queue throughout.
 */
export class DeliveryRuntime extends EventEmitter {
  private readonly dispatchers = new Map<string, { dispatcher: ConnectionDispatcher; connection: RuntimeConnection }>();

  /** Which connections' HTTP exchanges the workers record (someone watches them live). */
  capturesExchanges: (connectionId: string) => boolean = () => false;

  constructor(private readonly options: DeliveryRuntimeOptions) {
    super();
  }

  get queue(): DeliveryQueue {
    return this.options.queue;
  }

  /** Brings the running connections in line with `connections`: starts new, restarts changed, stops removed. */
  async applyConnections(connections: RuntimeConnection[]): Promise<void> {
    const wanted = new Map(connections.map((c) => [c.id, c]));
    for (const [id, running] of [...this.dispatchers]) {
      const next = wanted.get(id);
      if (!next || !sameConnection(running.connection, next)) {
        this.dispatchers.delete(id);
        await running.dispatcher.stop();
      }
    }
    for (const connection of connections) {
      if (!this.dispatchers.has(connection.id)) this.startConnection(connection);
    }
  }

  private startConnection(connection: RuntimeConnection): void {
    const options = resolveDeliveryOptions(connection.connector, connection.delivery, connection.settings);
    const dataDir = join(this.options.storageDir, 'connections', connection.id);
    mkdirSync(dataDir, { recursive: true });
    const pool = new ConnectionWorkerPool(
      {
        connectorModule: connection.moduleUrl,
        connectionId: connection.id,
        settings: connection.settings,
        dataDir,
        mappingOverrides: connection.mappingOverrides,
        enabledActions: connection.enabledActions,
        requestTimeoutMs: options.requestTimeoutMs,
        eventConcurrency: options.eventConcurrency,
        ...(options.ratePerSecond && !options.batches ? { performsPerSecond: Math.max(1, Math.round(options.ratePerSecond)) } : {}),
        endpointOverrides: connection.endpointOverrides,
        logLevel: this.options.logLevel?.(),
      },
      {
        maxThreads: options.workers.maxThreads,
        concurrentTasksPerWorker: options.workers.concurrentTasksPerWorker ?? Math.max(1, Math.ceil(options.maxConcurrency / options.workers.maxThreads)),
        taskTimeoutMs: options.workers.taskTimeoutMs,
        maxOldGenerationSizeMb: options.workers.maxOldGenerationSizeMb,
      },
      this.options.revocations,
    );
    const dispatcher = new ConnectionDispatcher(connection.id, this.options.queue, pool, options, this.options.log, this.options.gate);
    dispatcher.captureExchanges = () => this.capturesExchanges(connection.id);
    dispatcher.on('settled', (batch: SettledBatch) => this.emit('settled', batch));
    dispatcher.on('breaker', (state: string) => this.emit('breaker', connection.id, state));
    dispatcher.on('health', (health: string, reason?: string) => this.emit('health', connection.id, health, reason));
    this.dispatchers.set(connection.id, { dispatcher, connection });
    dispatcher.start();
  }

  /** Durably stores accepted events, then wakes the connections they are for. */
  async accept(events: AcceptedEvent[]): Promise<void> {
    await this.options.queue.enqueue(events);
    const woken = new Set(events.flatMap((e) => e.connectionIds));
    for (const id of woken) this.dispatchers.get(id)?.dispatcher.wake();
  }

  /**
   * Forwards a data-subject erasure to a connection whose connector implements onDelete. `skipped` when it
   * has none; `failed` when the connection is not running (its destination may still hold the subject's data).
   */
  async forwardDeletion(
    connectionId: string,
    identities: Record<string, string>,
  ): Promise<{ status: 'sent' | 'failed' | 'skipped'; error?: string; retryAfterMs?: number }> {
    const running = this.dispatchers.get(connectionId);
    if (!running) return NOT_RUNNING;
    if (!running.connection.connector.onDelete) return { status: 'skipped' };
    const result = await running.dispatcher.forwardDeletion(identities);
    if (result.status === 'ok') return { status: 'sent' };
    return failed(result);
  }

  /**
   * Reads a data subject's records back from a connection whose connector implements onExport. `skipped`
   * when it has none; `failed` when the connection is not running.
   */
  async forwardExport(
    connectionId: string,
    identities: Record<string, string>,
  ): Promise<{ status: 'sent' | 'failed' | 'skipped'; error?: string; retryAfterMs?: number; records?: SubjectRecord[] }> {
    const running = this.dispatchers.get(connectionId);
    if (!running) return NOT_RUNNING;
    if (!running.connection.connector.onExport) return { status: 'skipped' };
    const { result, records } = await running.dispatcher.forwardExport(identities);
    if (result.status === 'ok') return { status: 'sent', records };
    return failed(result);
  }

  /** One page of what a connection's destination audience holds (mirror syncs); a failed result when it is not running. */
  async listAudienceMembers(connectionId: string, request: ListMembersRequest): Promise<ListMembersOutcome> {
    const running = this.dispatchers.get(connectionId);
    if (!running) return { result: { status: 'retryable', code: 'NOT_RUNNING', message: `connection ${connectionId} is not running` }, members: [] };
    return running.dispatcher.listAudienceMembers(request);
  }

  /** The running connections with their connector (for fan-out, privacy and deletion decisions). */
  connections(): RuntimeConnection[] {
    return [...this.dispatchers.values()].map(({ connection }) => connection);
  }

  connectionIds(): string[] {
    return [...this.dispatchers.keys()];
  }

  stats(): Record<string, ConnectionStats> {
    return Object.fromEntries([...this.dispatchers].map(([id, { dispatcher }]) => [id, dispatcher.stats()]));
  }

  listDeadLetters(filter?: DeadLetterFilter): Promise<DeadLetter[]> {
    return this.options.queue.listDeadLetters(filter);
  }

  /** Puts dead letters back in the queue for another round of attempts. */
  async replayDeadLetters(filter: DeadLetterFilter): Promise<number> {
    const count = await this.options.queue.replayDeadLetters(filter, Date.now());
    for (const { dispatcher } of this.dispatchers.values()) dispatcher.wake();
    return count;
  }

  purgeDeadLetters(filter: DeadLetterFilter): Promise<number> {
    return this.options.queue.purgeDeadLetters(filter);
  }

  /** Graceful stop: every connection finishes or requeues its in-flight tasks. The queue stays open. */
  async stop(): Promise<void> {
    const running = [...this.dispatchers.values()];
    this.dispatchers.clear();
    await Promise.all(running.map(({ dispatcher }) => dispatcher.stop()));
  }
}

const NOT_RUNNING = { status: 'failed', error: 'NOT_RUNNING: the connection is not running (stopped, restarting or removed from the config)' } as const;

/** A failed data-subject call as the DSR processor records it; `retryAfterMs` when the connector asked for a wait. */
function failed(result: ItemResult): { status: 'failed'; error: string; retryAfterMs?: number } {
  return {
    status: 'failed',
    error: `${result.code ?? result.status}: ${result.message ?? ''}`.trim(),
    ...(result.retryAfterMs ? { retryAfterMs: result.retryAfterMs } : {}),
  };
}

function sameConnection(a: RuntimeConnection, b: RuntimeConnection): boolean {
  return (
    a.moduleUrl === b.moduleUrl &&
    isDeepStrictEqual(
      { s: a.settings, d: a.delivery, m: a.mappingOverrides, e: a.enabledActions, o: a.endpointOverrides },
      { s: b.settings, d: b.delivery, m: b.mappingOverrides, e: b.enabledActions, o: b.endpointOverrides },
    )
  );
}
