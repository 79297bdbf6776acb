import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { adminRoutes } from '../../src/admin/admin-routes.js';
import type { SettledBatch } from '../../src/delivery/connection-dispatcher.js';
import { RecentErrors } from '../../src/operations/recent-errors.js';
import { openDataPath, type DataPath } from '../../src/app/data-path.js';
import { openDsrRoutes } from '../../src/dsr/opendsr-routes.js';
import type { DsrConfig, PrivacyConfig } from '../../src/config/config-types.js';
import { SqliteDeliveryQueue, silentLogger } from '../../src/index.js';
import { RuntimeFixture } from './runtime.js';

export const ADMIN_TOKEN = 'admin-token-for-tests-0001';

/**
 * The data path as the composition root builds it (privacy, delivery, data-subject requests, routing), with the
 * admin and OpenDSR APIs on a real loopback port. Connections come from `runtime.connect`.
 */
export class PrivacyFixture {
  runtime!: RuntimeFixture;
  path!: DataPath;
  app!: FastifyInstance;
  baseUrl = '';

  get services(): DataPath['privacy'] {
    return this.path.privacy;
  }

  get dsr(): DataPath['dsr'] {
    return this.path.dsr;
  }

  async start(privacy: Partial<PrivacyConfig> = {}, dsr: DsrConfig = {}): Promise<this> {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-privacy-'));
    const queue = new SqliteDeliveryQueue(join(dir, 'queue.db'));
    this.path = await openDataPath({
      storageDir: dir,
      log: silentLogger,
      privacy,
      dsr,
      queue,
      connections: () => this.runtime.specs,
      systemEventTargets: () => this.runtime.specs,
    });
    this.runtime = new RuntimeFixture({ use: { dir, queue, runtime: this.path.runtime } });
    this.app = Fastify();
    const tokens = () => [ADMIN_TOKEN];
    const { privacy: services, routing } = this.path;
    const recentErrors = new RecentErrors();
    this.path.runtime.on('settled', (batch: SettledBatch) => recentErrors.observe(batch));
    await this.app.register(adminRoutes, {
      prefix: '/admin/v1',
      tokens,
      suppressions: services.suppressions,
      audit: services.audit,
      gate: services.gate,
      profiles: services.profiles,
      audiences: this.path.audiences,
      runtime: this.path.runtime,
      identity: this.path.identity,
      queue: this.path.queue,
      queueDepth: () => this.path.queue.depth(),
      oldestQueuedAt: () => this.path.queue.oldestQueuedAt(),
      recentErrors: (id) => recentErrors.of(id),
      trace: () => undefined,
      throughput: () => ({ intervalMs: 5000, windowMs: 900_000, samples: [] }),
      publish: (event) => routing.publish(event),
      replay: (filter) => routing.replayDeadLetters(filter),
    });
    await this.app.register(openDsrRoutes, {
      prefix: '/opendsr/v1',
      tokens,
      store: this.path.dsr.store,
      processor: this.path.dsr.processor,
      signer: this.path.dsr.signer,
      expectedCompletionMs: 24 * 3600 * 1000,
    });
    this.baseUrl = await this.app.listen({ port: 0, host: '127.0.0.1' });
    return this;
  }

  async request(method: string, path: string, body?: unknown, token: string | null = ADMIN_TOKEN) {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const raw = await response.text();
    let json: any;
    try {
      json = raw ? JSON.parse(raw) : undefined;
    } catch {
      json = raw;
    }
    return { status: response.status, headers: response.headers, raw, json };
  }

  async close(): Promise<void> {
    await this.app?.close();
    await this.path?.close();
    await this.runtime?.close();
  }
}
