/**
 * Piscina worker: runs one connection's connector. Each task is a micro-batch of events serialised
 * once in the main thread; the answer is one plain result per event.
 */
import { threadId, workerData } from 'node:worker_threads';
import { executeDeletion, executeEnrichment, executeEvents, executeExport, type EnrichmentResult, type ExportOutcome, prepareConnection, type AnyConnector, type CanonicalEvent, type ItemResult } from '@switchyard/sdk-kit';
import type { WorkerData, WorkerTask } from './worker-protocol.js';
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

export default async function run(task: WorkerTask): Promise<ItemResult[] | EnrichmentResult[] | ExportOutcome[]> {
  if (task.kind === 'ping') return [];
  // Cooperative deadline a little before the hard one, so well-behaved connectors abort their requests.
  const signal = AbortSignal.timeout(Math.max(1, task.softDeadlineMs));
  if (task.kind === 'delete') return [await executeDeletion(connection, task.identities, signal)];
  if (task.kind === 'export') return [await executeExport(connection, task.identities, signal)];
  if (task.kind === 'enrich') return executeEnrichment(connection, JSON.parse(task.events) as CanonicalEvent[], signal);
  const events = JSON.parse(task.events) as CanonicalEvent[];
  const guard = guards && task.privacyCheckpoint !== undefined ? guards.forTask(task.privacyCheckpoint) : undefined;
  return executeEvents(connection, events, signal, guard);
}
