import { mkdirSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve as resolvePath } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { resolveIdentityRules } from '../identity/identity-rules.js';
import { describeChanges } from './config-changes.js';
import { lockStorage } from './storage-lock.js';
import { loadConfig, type ResolvedConfig } from './resolve-config.js';
import type { DeliveryRuntime } from '../delivery/delivery-runtime.js';
import type { AudienceServices } from '../audiences/audience-services.js';
import type { Clock } from '../audiences/audience-types.js';
import type { DsrServices } from '../dsr/dsr-services.js';
import type { EnrichmentStage } from '../enrichment/enrichment-stage.js';
import type { EventIntake } from '../intake/event-intake.js';
import { createLogger, type Logger } from '../logging.js';
import type { PrivacyServices } from '../privacy/privacy-services.js';
import type { DeliveryQueue } from '../queue/delivery-queue.js';
import type { EventRouting } from '../routing/event-routing.js';
import { intakeRoutingOf } from './config-views.js';
import { buildSwitchyard, type Switchyard } from './switchyard.js';

export interface RouterOptions {
  configFile: string;
  /** Defaults to a JSON logger on stdout that scrubs the config's secrets. */
  log?: Logger;
  env?: NodeJS.ProcessEnv;
  /** Reload when the config file changes (default true). */
  watchConfig?: boolean;
  /** Overrides `server.port` (0 = a free port; tests). */
  port?: number;
  /** Where else to look for connector packages (the CLI passes the folder it ships them in). */
  connectorDirs?: readonly string[];
  /** The clock audiences read (tests move it to roll windows over). */
  clock?: Clock;
  /** How often audience syncs look for due mirror reconciliations, in ms of real time (default 30 s; tests shorten it). */
  syncCheckMs?: number;
}

export type ReloadResult = { ok: true; changed: string[] } | { ok: false; error: string };

/**
 * A running Switchyard, built by the composition root (`buildSwitchyard`) and listening. Reloads its config
 * without a restart (`reload()`, SIGHUP in the CLI, or a change to the file); an invalid new config is refused
 * and the old one keeps running.
 */
export class Router {
  private watcher?: FSWatcher;
  private reloading: Promise<ReloadResult> = Promise.resolve({ ok: true, changed: [] });
  private closed = false;
  readonly queue: DeliveryQueue;
  readonly runtime: DeliveryRuntime;
  readonly privacy: PrivacyServices;
  readonly audiences: AudienceServices;
  readonly dsr: DsrServices;
  readonly routing: EventRouting;
  readonly enrichment: EnrichmentStage;
  readonly intake: EventIntake;
  readonly app: FastifyInstance;

  private constructor(
    private current: ResolvedConfig,
    readonly log: Logger,
    private readonly parts: Switchyard,
    readonly url: string,
    private readonly options: RouterOptions,
    private readonly unlock: () => void,
  ) {
    ({
      queue: this.queue,
      runtime: this.runtime,
      privacy: this.privacy,
      audiences: this.audiences,
      dsr: this.dsr,
      routing: this.routing,
      enrichment: this.enrichment,
      intake: this.intake,
      app: this.app,
    } = parts);
  }

  static async start(options: RouterOptions): Promise<Router> {
    const config = await loadConfig(options.configFile, options.env, { connectorDirs: options.connectorDirs });
    let secrets = config.secrets;
    const log = options.log ?? createLogger({ level: config.logLevel, secrets: () => secrets });
    mkdirSync(config.storageDir, { recursive: true });
    const unlock = lockStorage(config.storageDir);
    let router: Router | undefined;
    let parts: Switchyard;
    try {
      parts = await buildSwitchyard(config, log, () => router?.config ?? config, {
        ...(options.clock ? { clock: options.clock } : {}),
        ...(options.syncCheckMs ? { syncCheckMs: options.syncCheckMs } : {}),
      });
    } catch (error) {
      unlock();
      throw error;
    }
    try {
      const url = await parts.app.listen({ host: config.server.host, port: options.port ?? config.server.port });
      router = new Router(config, log, parts, url, options, unlock);
    } catch (error) {
      // A refused start leaves no thread, file handle or lock behind.
      await parts.close().catch(() => undefined);
      unlock();
      throw error;
    }
    router.onConfigChange((next) => {
      secrets = next.secrets;
    });
    if (options.watchConfig !== false) router.watchConfigFile();
    return router;
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
    this.reloading = this.reloading
      .then(() => this.applyReload())
      .then((result) => {
        for (const listener of this.reloadListeners) listener(result);
        return result;
      });
    return this.reloading;
  }

  private async applyReload(): Promise<ReloadResult> {
    if (this.closed) return { ok: false, error: 'the router is shutting down' };
    let next: ResolvedConfig;
    try {
      next = await loadConfig(this.options.configFile, this.options.env, { connectorDirs: this.options.connectorDirs });
    } catch (error) {
      const message = (error as Error).message;
      this.log.error({ file: this.options.configFile }, `config reload refused, the running config stays: ${message}`);
      return { ok: false, error: message };
    }
    const previous = this.current;
    const restartOnly: string[] = (['server', 'storageDir', 'queue'] as const).filter((key) => JSON.stringify(previous[key]) !== JSON.stringify(next[key]));
    if (JSON.stringify(previous.identity.store) !== JSON.stringify(next.identity.store)) restartOnly.push('identity.store');
    if (JSON.stringify(previous.state) !== JSON.stringify(next.state)) restartOnly.push('state');
    if (restartOnly.length) this.log.warn({ keys: restartOnly }, 'these settings change only on restart; the rest of the new config is applied');
    const { store: _newStore, ...identityRules } = next.identity;
    const applied: ResolvedConfig = {
      ...next,
      server: previous.server,
      storageDir: previous.storageDir,
      queue: previous.queue,
      state: previous.state,
      identity: { ...identityRules, ...(previous.identity.store ? { store: previous.identity.store } : {}) },
    };
    await this.runtime.applyConnections(applied.connections);
    await this.enrichment.apply(applied.enrichments);
    this.privacy.updateConfig(applied.privacy);
    await this.audiences.applyConfig(applied.audiences, applied.privacy);
    this.parts.identity.updateRules(resolveIdentityRules(applied.identity));
    this.intake.updateRouting(await intakeRoutingOf(applied));
    this.current = applied;
    // Deliveries decided under the old purposes or consent rules are decided again before they leave.
    if (privacyRulesOf(previous) !== privacyRulesOf(applied)) await this.privacy.gate.revoke();
    // A sync the reload added is backfilled.
    this.parts.syncLifecycle.refresh();
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
        timer = setTimeout(() => {
          void this.reload();
        }, 200);
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
    try {
      await this.parts.close();
    } finally {
      this.unlock();
    }
  }
}

function privacyRulesOf(config: ResolvedConfig): string {
  return JSON.stringify({ privacy: config.privacy, rules: config.connections.map((c) => [c.id, c.consent, c.sources, c.enabledActions]) });
}
