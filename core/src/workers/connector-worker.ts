/**
 * Piscina worker: runs one connection's connector. Each task is a micro-batch of events serialised
 * once in the main thread; the answer is one plain result per event.
 */
import { threadId, workerData } from 'node:worker_threads';
import {
  executeDeletion,
  executeEnrichment,
  executeEvents,
  executeExport,
  prepareConnection,
  type AnyConnector,
  type CanonicalEvent,
} from '@switchyard/sdk-kit';
import type { TaskKind, TaskOf, WorkerData, WorkerHandlers, WorkerReplies, WorkerTask } from './worker-protocol.js';
import { WorkerSendGuards } from './worker-send-guard.js';

const data = workerData as WorkerData;
const guards = data.revocations ? new WorkerSendGuards(data.revocations, threadId) : undefined;
const loaded = (await import(data.connectorModule)) as { default?: AnyConnector };
const connector = loaded.default!;
const connection = prepareConnection(connector, {
  connectionId: data.connectionId,
  settings: data.settings,
  dataDir: data.dataDir,
  mappingOverrides: data.mappingOverrides,
  enabledActions: data.enabledActions,
  requestTimeoutMs: data.requestTimeoutMs,
  logLevel: data.logLevel,
  endpointOverrides: data.endpointOverrides,
  requestGuard: guards?.requestGuard,
});

const handlers: WorkerHandlers = {
  ping: async () => null,
  delete: (task) => executeDeletion(connection, task.identities, deadline(task)),
  export: (task) => executeExport(connection, task.identities, deadline(task)),
  enrich: (task) => executeEnrichment(connection, JSON.parse(task.events) as CanonicalEvent[], deadline(task)),
  deliver: (task) => {
    const guard = guards && task.privacyCheckpoint !== undefined ? guards.forTask(task.privacyCheckpoint) : undefined;
    return executeEvents(connection, JSON.parse(task.events) as CanonicalEvent[], deadline(task), guard);
  },
};

export default function run<K extends TaskKind>(task: TaskOf<K>): Promise<WorkerReplies[K]> {
  return (handlers[task.kind] as (task: TaskOf<K>) => Promise<WorkerReplies[K]>)(task);
}

/** Cooperative deadline a little before the hard one, so well-behaved connectors abort their requests. */
function deadline(task: WorkerTask): AbortSignal {
  return AbortSignal.timeout(Math.max(1, task.softDeadlineMs));
}
