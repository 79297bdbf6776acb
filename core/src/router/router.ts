import { mkdirSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname, join, resolve as resolvePath } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { MparticleSourceConfig, SegmentSourceConfig } from '../config/config-types.js';
import { loadConfig, type ResolvedConfig, type ResolvedConnection, type ResolvedSource } from '../config/resolve-config.js';
import { DeliveryRuntime } from '../delivery/delivery-runtime.js';
import { EnrichmentStage } from '../enrichment/enrichment-stage.js';
import { IpGeo } from '../enrichment/ip-geo.js';
import { EventIntake, type IntakeRouting } from '../ingestion/intake.js';
import { createLogger, type Logger } from '../logging.js';
import { PrivacyServices } from '../privacy/privacy-services.js';
import type { DeliveryQueue } from '../queue/delivery-queue.js';
import { ThreadedSqliteQueue } from '../queue/threaded-sqlite-queue.js';
import { RevocationBoard } from '../revocation/revocation-board.js';
import { EventRouting } from '../routing/event-routing.js';
import { buildHttpServer } from './http-server.js';

export interface RouterOptions {
  configFile: string;
  /** Defaults to a JSON logger on stdout that scrubs the config's secrets. */
  log?: Logger;
  env?: NodeJS.ProcessEnv;
  /** Reload when the config file changes (default true). */
  watchConfig?: boolean;
  /** Overrides `server.port` (0 = a free port; tests). */
  port?: number;
}

export type ReloadResult = { ok: true; changed: string[] } | { ok: false; error: string };

/**
 * A running Switchyard: config → durable queue → delivery runtime → privacy services → enrichment →
 * ingestion intake → HTTP server. Reloads its config without a restart (`reload()`, SIGHUP in the CLI,
 * or a change to the file); an invalid new config is refused and the old one keeps running.
 */
export class Router {
  private watcher?: FSWatcher;
  private reloading: Promise<ReloadResult> = Promise.resolve({ ok: true, changed: [] });
  private closed = false;

  private constructor(
    private current: ResolvedConfig,
    readonly log: Logger,
    readonly queue: DeliveryQueue,
    readonly runtime: DeliveryRuntime,
    readonly privacy: PrivacyServices,
    readonly routing: EventRouting,
    readonly enrichment: EnrichmentStage,
    readonly intake: EventIntake,
    readonly app: FastifyInstance,
    readonly url: string,
    private readonly options: RouterOptions,
  ) {}

  static async start(options: RouterOptions): Promise<Router> {
    const config = await loadConfig(options.configFile, options.env);
    let secrets = config.secrets;
    const log = options.log ?? createLogger({ level: config.logLevel, secrets: () => secrets });
    mkdirSync(config.storageDir, { recursive: true });
    // Whatever opened before a failure is closed again, so a refused start leaves no thread or file handle.
    const opened: Array<() => Promise<void>> = [];
    try {
      const queue = await ThreadedSqliteQueue.open(join(config.storageDir, 'queue.db'));
      opened.unshift(() => queue.close());
      const revocations = RevocationBoard.create();
      let privacy: PrivacyServices | undefined;
      const runtime = new DeliveryRuntime({
        queue, storageDir: config.storageDir, log, revocations, logLevel: () => (router?.config ?? config).logLevel, gate: (...args) => privacy!.gate.deliveryGate(...args),
      });
      opened.unshift(() => runtime.stop());
      privacy = await PrivacyServices.open({ storageDir: config.storageDir, privacy: config.privacy, dsr: config.dsr, runtime, queue, log, revocations });
      const openedPrivacy = privacy;
      opened.unshift(() => openedPrivacy.close());
      let router: Router | undefined;
      const routing = new EventRouting({
        gate: privacy.gate, audit: privacy.audit, deliveries: runtime,
        connections: () => regularConnections(router?.config ?? config),
      });
      const enrichment = new EnrichmentStage(config.storageDir, log);
      opened.unshift(() => enrichment.stop());
      await enrichment.apply(config.enrichments);
      const intake = new EventIntake({ routing, gate: privacy.gate, enrichment, audit: privacy.audit, log }, await routingOf(config), config.ingestion);
      await runtime.applyConnections(config.connections);

      const app = await buildHttpServer({
        log,
        trustProxy: config.server.trustProxy,
        intake,
        runtime,
        privacy,
        routing,
        adminTokens: () => router?.config.adminTokens ?? config.adminTokens,
        publicUrl: () => config.dsr.publicUrl ?? config.server.publicUrl,
        expectedCompletionMs: () => config.dsr.expectedCompletionMs ?? 24 * 3600 * 1000,
        sourcesByWriteKey: () => sourceIndex(router?.config ?? config).segment,
        sourcesByApiKey: () => sourceIndex(router?.config ?? config).mparticle,
        stats: () => ({ sources: intake.stats.bySource(), enrichment: enrichment.stats() }),
      });
      opened.unshift(() => app.close());
      const url = await app.listen({ host: config.server.host, port: options.port ?? config.server.port });
      router = new Router(config, log, queue, runtime, privacy, routing, enrichment, intake, app, url, options);
      router.onConfigChange((next) => { secrets = next.secrets; });
      if (options.watchConfig !== false) router.watchConfigFile();
      return router;
    } catch (error) {
      for (const close of opened) await close().catch(() => undefined);
      throw error;
    }
  }

  get config(): ResolvedConfig {
    return this.current;
  }

  private listeners: Array<(config: ResolvedConfig) => void> = [];
  private reloadListeners: Array<(result: ReloadResult) => void> = [];

  onConfigChange(listener: (config: ResolvedConfig) => void): void {
    this.listeners.push(listener);
  }

  /** Told of every reload attempt (SIGHUP, file change or `reload()`), applied or refused. */
  onReload(listener: (result: ReloadResult) => void): void {
    this.reloadListeners.push(listener);
  }

  /** Loads the config file again and applies it; reloads are serialised. */
  reload(): Promise<ReloadResult> {
    this.reloading = this.reloading.then(() => this.applyReload()).then((result) => {
      for (const listener of this.reloadListeners) listener(result);
      return result;
    });
    return this.reloading;
  }

  private async applyReload(): Promise<ReloadResult> {
    if (this.closed) return { ok: false, error: 'the router is shutting down' };
    let next: ResolvedConfig;
    try {
      next = await loadConfig(this.options.configFile, this.options.env);
    } catch (error) {
      const message = (error as Error).message;
      this.log.error({ file: this.options.configFile }, `config reload refused, the running config stays: ${message}`);
      return { ok: false, error: message };
    }
    const previous = this.current;
    const restartOnly = (['server', 'storageDir'] as const).filter((key) => JSON.stringify(previous[key]) !== JSON.stringify(next[key]));
    if (restartOnly.length) this.log.warn({ keys: restartOnly }, 'these settings change only on restart; the rest of the new config is applied');
    const applied: ResolvedConfig = { ...next, server: previous.server, storageDir: previous.storageDir };
    await this.runtime.applyConnections(applied.connections);
    await this.enrichment.apply(applied.enrichments);
    this.privacy.updateConfig(applied.privacy);
    this.intake.updateRouting(await routingOf(applied));
    this.current = applied;
    // Deliveries decided under the old purposes or consent rules are decided again before they leave.
    if (privacyRulesOf(previous) !== privacyRulesOf(applied)) await this.privacy.gate.revoke();
    for (const listener of this.listeners) listener(applied);
    const changed = describeChanges(previous, applied);
    this.log.info({ changed }, 'config reloaded');
    return { ok: true, changed };
  }

  private watchConfigFile(): void {
    let timer: NodeJS.Timeout | undefined;
    try {
      // The folder, not the file: editors that save by writing a new file and renaming it replace the inode.
      const file = basename(this.options.configFile);
      this.watcher = watch(dirname(resolvePath(this.options.configFile)), (_event, changed) => {
        if (changed !== null && changed !== file) return;
        clearTimeout(timer);
        // Editors write files in several steps; wait for the burst to end.
        timer = setTimeout(() => { void this.reload(); }, 200);
      });
      this.watcher.on('error', (error) => this.log.warn({ err: error }, 'config file watch stopped; use SIGHUP to reload'));
    } catch (error) {
      this.log.warn({ err: error }, 'cannot watch the config file; use SIGHUP to reload');
    }
  }

  /** Stops taking requests, lets in-flight deliveries finish (or go back to the queue), then closes storage. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.watcher?.close();
    await this.reloading.catch(() => undefined);
    await this.app.close();
    await this.runtime.stop();
    await this.enrichment.stop();
    await this.privacy.close();
    await this.queue.close();
  }
}

/** A quarantine connection receives only what data plans block, never the regular fan-out. */
function regularConnections(config: ResolvedConfig): ResolvedConnection[] {
  return config.connections.filter((c) => !config.dataPlans.some((p) => p.quarantine === c.id));
}

function privacyRulesOf(config: ResolvedConfig): string {
  return JSON.stringify({ privacy: config.privacy, rules: config.connections.map((c) => [c.id, c.consent, c.sources, c.enabledActions]) });
}

async function routingOf(config: ResolvedConfig): Promise<IntakeRouting> {
  return {
    sources: new Map(config.sources.map((s) => [s.id, s])),
    connections: regularConnections(config),
    connectionsById: new Map(config.connections.map((c) => [c.id, c])),
    dataPlans: new Map(config.dataPlans.map((p) => [p.id, p])),
    location: { enabled: config.location.enabled, ipGeo: config.location.maxmindDatabase ? await IpGeo.open(config.location.maxmindDatabase) : undefined },
  };
}

const indexes = new WeakMap<ResolvedConfig, ReturnType<typeof buildSourceIndex>>();

function sourceIndex(config: ResolvedConfig) {
  let index = indexes.get(config);
  if (!index) indexes.set(config, (index = buildSourceIndex(config)));
  return index;
}

function buildSourceIndex(config: ResolvedConfig) {
  const segment = new Map<string, ResolvedSource & SegmentSourceConfig>();
  const mparticle = new Map<string, ResolvedSource & MparticleSourceConfig>();
  for (const source of config.sources) {
    if (source.type === 'segment') segment.set(source.writeKey, source as ResolvedSource & SegmentSourceConfig);
    else mparticle.set(source.apiKey, source as ResolvedSource & MparticleSourceConfig);
  }
  return { segment, mparticle };
}

function describeChanges(before: ResolvedConfig, after: ResolvedConfig): string[] {
  const ids = (c: ResolvedConfig) => new Set([...c.connections, ...c.enrichments].map((x) => x.id));
  const old = ids(before);
  const now = ids(after);
  return [
    ...[...now].filter((id) => !old.has(id)).map((id) => `+connection ${id}`),
    ...[...old].filter((id) => !now.has(id)).map((id) => `-connection ${id}`),
  ];
}
