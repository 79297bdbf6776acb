import type { FastifyInstance } from 'fastify';
import type { ResolvedConfig } from './resolve-config.js';
import { EnrichmentStage } from '../enrichment/enrichment-stage.js';
import { EventIntake } from '../intake/event-intake.js';
import type { SettledBatch } from '../delivery/connection-dispatcher.js';
import { EventTraces } from '../operations/event-traces.js';
import { LiveEvents } from '../operations/live-events.js';
import { combineTracers } from '../operations/tracers.js';
import { RecentErrors } from '../operations/recent-errors.js';
import { RouterMetrics } from '../operations/router-metrics.js';
import { ThroughputHistory } from '../operations/throughput-history.js';
import type { Clock } from '../audiences/audience-types.js';
import type { Logger } from '../logging.js';
import { buildHttpServer } from './http-server.js';
import { intakeRoutingOf, regularConnections, sourceIndex } from './config-views.js';
import { openDataPath, type DataPath } from './data-path.js';

/** Every part of a running Switchyard. */
export interface Switchyard extends DataPath {
  enrichment: EnrichmentStage;
  intake: EventIntake;
  app: FastifyInstance;
}

/**
 * The composition root: builds every part, in data-path order, for a config. `current` is the config in force
 * (it changes on reload); the parts read it through that function, never a copy.
 */
export async function buildSwitchyard(
  config: ResolvedConfig,
  log: Logger,
  current: () => ResolvedConfig = () => config,
  options: { clock?: Clock; syncCheckMs?: number } = {},
): Promise<Switchyard> {
  const traces = new EventTraces();
  const live = new LiveEvents();
  const tracer = combineTracers(traces, live);
  const path = await openDataPath({
    tracer,
    storageDir: config.storageDir,
    queueConfig: config.queue,
    log,
    privacy: config.privacy,
    identity: config.identity,
    state: config.state,
    dsr: config.dsr,
    connections: () => current().connections,
    systemEventTargets: () => regularConnections(current()),
    logLevel: () => current().logLevel,
    audiences: config.audiences,
    audienceSyncs: () => current().audienceSyncs,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.syncCheckMs ? { syncCheckMs: options.syncCheckMs } : {}),
  });
  const opened: Array<() => Promise<void>> = [() => path.close()];
  try {
    const enrichment = new EnrichmentStage(config.storageDir, log, path.revocations);
    opened.unshift(() => enrichment.stop());
    await enrichment.apply(config.enrichments);
    const intake = new EventIntake(
      {
        routing: path.routing,
        identity: path.identity,
        gate: path.privacy.gate,
        profiles: path.privacy.profiles,
        enrichment,
        audit: path.privacy.audit,
        log,
        tracer,
        observer: { accepted: (events) => path.audiences.observe(events) },
      },
      await intakeRoutingOf(config),
      config.ingestion,
    );
    await path.runtime.applyConnections(config.connections);
    // Once the connections run: syncs never backfilled start their backfill.
    path.syncLifecycle.start();
    const metrics = new RouterMetrics({
      sources: () => intake.stats.bySource(),
      connections: () => path.runtime.stats(),
      // A queue that does not answer (NATS away) leaves its gauges empty rather than failing the scrape; /ready says why.
      queueDepth: () => path.queue.depth().catch(() => ({})),
      oldestQueuedAt: () => path.queue.oldestQueuedAt().catch(() => ({})),
      privacyDecisions: () => path.privacy.audit.rows(),
      filtered: () => path.routing.filterCounts(),
    });
    const throughput = new ThroughputHistory({
      sourceIds: () => current().sources.map((s) => s.id),
      intake: () => intake.stats.bySource(),
      rejected: () => metrics.rejectedBySource(),
      connections: () => path.runtime.stats(),
      queueDepth: () => path.queue.depth(),
    });
    throughput.start();
    opened.unshift(() => throughput.stop());
    const recentErrors = new RecentErrors();
    path.runtime.capturesExchanges = (connectionId) => live.watchesAttempts(connectionId);
    path.runtime.on('settled', (batch: SettledBatch) => {
      metrics.observeSettled(batch);
      recentErrors.observe(batch);
      traces.observe(batch);
      live.observe(batch);
    });
    const app = await buildHttpServer({
      log,
      trustProxy: config.server.trustProxy,
      intake,
      runtime: path.runtime,
      privacy: path.privacy,
      identity: path.identity,
      queue: path.queue,
      dsr: path.dsr,
      audiences: path.audiences,
      audienceSyncs: path.syncLifecycle,
      routing: path.routing,
      adminTokens: () => current().adminTokens,
      publicUrl: () => config.dsr.publicUrl ?? config.server.publicUrl,
      expectedCompletionMs: () => config.dsr.expectedCompletionMs ?? 24 * 3600 * 1000,
      sourcesByWriteKey: () => sourceIndex(current()).segment,
      sourcesByApiKey: () => sourceIndex(current()).mparticle,
      stats: () => ({ sources: intake.stats.bySource(), enrichment: enrichment.stats(), filtered: path.routing.filterCounts() }),
      metrics,
      recentErrors,
      traces,
      live: {
        live,
        topology: () => ({ sources: current().sources.map((source) => source.id), connections: current().connections.map((connection) => connection.id) }),
      },
      throughput,
      queueDepth: () => path.queue.depth(),
      oldestQueuedAt: () => path.queue.oldestQueuedAt(),
      metricsToken: () => config.server.metricsToken,
      privacyPages: {
        storageDir: config.storageDir,
        config: () => current().privacyPages,
        privacy: () => current().privacy,
        resultsTtlMs: config.dsr.resultsTtlMs ?? 7 * 24 * 3600 * 1000,
      },
      readiness: async () => {
        const problems: string[] = [];
        await path.queue.depth().catch((error: Error) => problems.push(`the queue does not answer: ${error.message}`));
        const running = new Set(path.runtime.connectionIds());
        for (const { id } of current().connections) if (!running.has(id)) problems.push(`connection ${id} is not running`);
        return problems;
      },
    });
    opened.unshift(() => app.close());
    return {
      ...path,
      enrichment,
      intake,
      app,
      // In order: stop taking requests, let deliveries finish (or go back to the queue), then close storage.
      close: async () => {
        for (const step of opened.splice(0)) await step();
      },
    };
  } catch (error) {
    for (const step of opened) await step().catch(() => undefined);
    throw error;
  }
}
