/**
 * Piscina worker: runs one connection's connector. Each task is a micro-batch of events serialised
 * once in the main thread; the answer is one plain result per event.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { threadId, workerData } from 'node:worker_threads';
import {
  executeDeletion,
  executeEnrichment,
  executeEvents,
  executeExport,
  executeListMembers,
  prepareConnection,
  type AnyConnector,
  type CanonicalEvent,
  type HttpExchange,
} from '@switchyard/sdk-kit';
import type { TaskKind, TaskOf, WorkerData, WorkerHandlers, WorkerReplies, WorkerTask } from './worker-protocol.js';
import { WorkerSendGuards } from './worker-send-guard.js';

const data = workerData as WorkerData;
const guards = data.revocations ? new WorkerSendGuards(data.revocations, threadId) : undefined;
/** The exchanges of the task being run, when its dispatcher asked for them. */
const capturing = new AsyncLocalStorage<HttpExchange[]>();
const MAX_EXCHANGES_PER_TASK = 20;
const loaded = (await import(data.connectorModule)) as { default?: AnyConnector };
const connector = loaded.default!;
const connection = prepareConnection(connector, {
  connectionId: data.connectionId,
  settings: data.settings,
  dataDir: data.dataDir,
  mappingOverrides: data.mappingOverrides,
  enabledActions: data.enabledActions,
  requestTimeoutMs: data.requestTimeoutMs,
  eventConcurrency: data.eventConcurrency,
  performsPerSecond: data.performsPerSecond,
  logLevel: data.logLevel,
  endpointOverrides: data.endpointOverrides,
  requestGuard: guards?.requestGuard,
  exchangeSink: () => {
    const exchanges = capturing.getStore();
    return exchanges && ((exchange) => void (exchanges.length < MAX_EXCHANGES_PER_TASK && exchanges.push(exchange)));
  },
});

const handlers: WorkerHandlers = {
  ping: async () => null,
  delete: (task) => executeDeletion(connection, task.identities, deadline(task)),
  export: (task) => executeExport(connection, task.identities, deadline(task)),
  'list-members': (task) =>
    executeListMembers(connection, { audience: task.audience, sync: task.sync, ...(task.cursor !== undefined ? { cursor: task.cursor } : {}) }, deadline(task)),
  enrich: (task) => executeEnrichment(connection, JSON.parse(task.events) as CanonicalEvent[], deadline(task), guardOf(task)),
  deliver: async (task) => {
    const guard = guardOf(task);
    const run = () => executeEvents(connection, JSON.parse(task.events) as CanonicalEvent[], deadline(task), guard);
    if (!task.captureExchanges) return { results: await run() };
    const exchanges: HttpExchange[] = [];
    return { results: await capturing.run(exchanges, run), exchanges };
  },
};

export default function run<K extends TaskKind>(task: TaskOf<K>): Promise<WorkerReplies[K]> {
  return (handlers[task.kind] as (task: TaskOf<K>) => Promise<WorkerReplies[K]>)(task);
}

/** The last privacy check for a task that carries the revocation count its events were checked at. */
function guardOf(task: { privacyCheckpoint?: number }) {
  return guards && task.privacyCheckpoint !== undefined ? guards.forTask(task.privacyCheckpoint) : undefined;
}

/** Cooperative deadline a little before the hard one, so well-behaved connectors abort their requests. */
function deadline(task: WorkerTask): AbortSignal {
  return AbortSignal.timeout(Math.max(1, task.softDeadlineMs));
}
