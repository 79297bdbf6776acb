/**
 * Piscina worker: runs one connection's connector. Each task is a micro-batch of events serialised
 * once in the main thread; the answer is one plain result per event.
 */
import { threadId, workerData } from 'node:worker_threads';
import { classifyError, executeEnrichment, executeEvents, type EnrichmentResult, prepareConnection, type AnyConnector, type CanonicalEvent, type ItemResult } from '@switchyard/sdk-kit';
import type { DeletionTask, WorkerData, WorkerTask } from './worker-protocol.js';
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

export default async function run(task: WorkerTask): Promise<ItemResult[] | EnrichmentResult[]> {
  if (task.kind === 'ping') return [];
  // Cooperative deadline a little before the hard one, so well-behaved connectors abort their requests.
  const signal = AbortSignal.timeout(Math.max(1, task.softDeadlineMs));
  if (task.kind === 'delete') return [await forwardDeletion(task, signal)];
  if (task.kind === 'enrich') return executeEnrichment(connection, JSON.parse(task.events) as CanonicalEvent[], signal);
  const events = JSON.parse(task.events) as CanonicalEvent[];
  const guard = guards && task.privacyCheckpoint !== undefined ? guards.forTask(task.privacyCheckpoint) : undefined;
  return executeEvents(connection, events, signal, guard);
}

async function forwardDeletion(task: DeletionTask, signal: AbortSignal): Promise<ItemResult> {
  if (!connector.onDelete) return { status: 'ok', code: 'NO_DELETE_SUPPORT' };
  try {
    await connector.onDelete({
      settings: connection.settings as never, connectionId: connection.connectionId, http: connection.http,
      log: connection.log, signal, dataDir: connection.dataDir, user: { identities: task.identities },
    });
    return { status: 'ok' };
  } catch (error) {
    return classifyError(error);
  }
}
