import { fileURLToPath, pathToFileURL } from 'node:url';
import { Piscina } from 'piscina';
import type { EnrichmentResult, ExportOutcome, ItemResult, ListMembersOutcome, ListMembersRequest } from '@switchyard/sdk-kit';
import type { RevocationBoard } from '../revocation/revocation-board.js';
import type { DeliveryReply, TaskKind, TaskOf, WorkerData, WorkerReplies } from './worker-protocol.js';

// Resolved against the compiled output so the same path works from src (tests) and dist (production).
const WORKER_FILE = fileURLToPath(new URL('../../dist/workers/connector-worker.js', import.meta.url));

/** Environment variables a connector may see; connection secrets never travel through the environment. */
const WORKER_ENV_ALLOWLIST = ['NODE_ENV', 'TZ', 'SWITCHYARD_LOG_LEVEL', 'NODE_EXTRA_CA_CERTS', 'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY'];

const WORKER_YOUNG_GENERATION_MB = 8;

export interface WorkerPoolOptions {
  maxThreads: number;
  concurrentTasksPerWorker: number;
  taskTimeoutMs: number;
  maxOldGenerationSizeMb: number;
}

export class TaskFailedError extends Error {
  constructor(
    readonly code: 'TASK_TIMEOUT' | 'WORKER_OUT_OF_MEMORY' | 'WORKER_CRASHED' | 'POOL_CLOSED',
    message: string,
  ) {
    super(message);
  }
}

/**
 * One connection's worker threads. A task that hangs past its timeout is aborted, which terminates its
 * worker (a busy loop included) and piscina starts a fresh one; an out-of-memory worker dies alone.
 */
export class ConnectionWorkerPool {
  private readonly piscina: Piscina;
  private closed = false;
  /** Whether a worker has answered a task, i.e. has finished loading the connector. */
  private booted = false;

  constructor(
    data: Omit<WorkerData, 'revocations'>,
    private readonly options: WorkerPoolOptions,
    revocations?: RevocationBoard,
  ) {
    const env = Object.fromEntries(WORKER_ENV_ALLOWLIST.filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k]!]));
    this.piscina = new Piscina({
      filename: pathToFileURL(WORKER_FILE).href,
      workerData: { ...data, ...(revocations ? { revocations: revocations.buffer } : {}) } satisfies WorkerData,
      minThreads: 1,
      maxThreads: options.maxThreads,
      concurrentTasksPerWorker: options.concurrentTasksPerWorker,
      idleTimeout: 60_000,
      atomics: 'disabled',
      env,
      // A small young generation: V8 otherwise grows each worker's nursery to tens of MB under got's allocation rate
      // and gives it back later, so a router's RSS swung by a hundred MB with its six workers (memory bench).
      resourceLimits: { maxOldGenerationSizeMb: options.maxOldGenerationSizeMb, maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
    });
    // A worker that dies is replaced by piscina; its tasks are rejected and retried by the dispatcher.
    this.piscina.on('error', () => undefined);
    // A worker terminated mid-request (task timeout, crash) can never release its holds on the board.
    if (revocations) this.piscina.on('workerDestroy', (worker: { id: number }) => revocations.forgetWorker(worker.id));
  }

  async run(events: string, privacyCheckpoint?: number, captureExchanges = false): Promise<DeliveryReply> {
    return this.submit({
      kind: 'deliver',
      events,
      softDeadlineMs: this.softDeadline(),
      ...(privacyCheckpoint !== undefined ? { privacyCheckpoint } : {}),
      ...(captureExchanges ? { captureExchanges } : {}),
    });
  }

  /** Runs the connector's onDelete for one data subject. */
  forwardDeletion(identities: Record<string, string>): Promise<ItemResult> {
    return this.submit({ kind: 'delete', identities, softDeadlineMs: this.softDeadline() });
  }

  /** Runs the connector's onExport for one data subject. */
  forwardExport(identities: Record<string, string>): Promise<ExportOutcome> {
    return this.submit({ kind: 'export', identities, softDeadlineMs: this.softDeadline() });
  }

  /** Reads one page of a destination audience (mirror syncs). */
  listAudienceMembers(request: ListMembersRequest): Promise<ListMembersOutcome> {
    return this.submit({ kind: 'list-members', ...request, softDeadlineMs: this.softDeadline() });
  }

  /** Enrichment lookups, bounded by `timeoutMs` (shorter than delivery: they sit on the ingestion path). */
  enrich(events: string, timeoutMs: number, privacyCheckpoint?: number): Promise<EnrichmentResult[]> {
    return this.submit(
      { kind: 'enrich', events, softDeadlineMs: Math.max(1, timeoutMs - 10), ...(privacyCheckpoint !== undefined ? { privacyCheckpoint } : {}) },
      timeoutMs,
    );
  }

  /** Cooperative deadline a little before the hard one, so well-behaved connectors abort their requests. */
  private softDeadline(): number {
    return Math.max(1, this.options.taskTimeoutMs - 250);
  }

  private async submit<K extends TaskKind>(task: TaskOf<K>, timeoutMs = this.options.taskTimeoutMs): Promise<WorkerReplies[K]> {
    if (this.closed) throw new TaskFailedError('POOL_CLOSED', 'the connection is shutting down');
    try {
      const reply = (await this.piscina.run(task, { signal: AbortSignal.timeout(timeoutMs) })) as WorkerReplies[K];
      this.booted = true;
      return reply;
    } catch (error) {
      throw describeTaskFailure(error, timeoutMs);
    }
  }

  get threads(): number {
    return this.piscina.threads.length;
  }

  async close(): Promise<void> {
    this.closed = true;
    // Node 20 aborts the whole process when a worker is terminated while it is still importing modules
    // (v8 "IsGraphAsync" fatal error), so a pool closed right after it started waits for its worker to boot.
    if (!this.booted) {
      const ping: TaskOf<'ping'> = { kind: 'ping', softDeadlineMs: 1 };
      await this.piscina.run(ping, { signal: AbortSignal.timeout(this.options.taskTimeoutMs) }).catch(() => undefined);
    }
    await this.piscina.destroy();
  }
}

function describeTaskFailure(error: unknown, timeoutMs: number): TaskFailedError {
  const e = error as { name?: string; code?: string; message?: string };
  if (e.name === 'AbortError' || e.name === 'TimeoutError' || e.code === 'ABORT_ERR') {
    return new TaskFailedError('TASK_TIMEOUT', `the connector did not finish within ${timeoutMs} ms; its worker was replaced`);
  }
  if (e.code === 'ERR_WORKER_OUT_OF_MEMORY') {
    return new TaskFailedError('WORKER_OUT_OF_MEMORY', 'the connector ran out of worker memory; its worker was replaced');
  }
  return new TaskFailedError('WORKER_CRASHED', `the connector's worker failed: ${e.message ?? String(error)}`);
}
