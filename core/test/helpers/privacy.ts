import Fastify, { type FastifyInstance } from 'fastify';
import { adminRoutes } from '../../src/admin/admin-routes.js';
import { openDsrRoutes } from '../../src/dsr/opendsr-routes.js';
import type { DsrConfig, PrivacyConfig } from '../../src/config/config-types.js';
import { PrivacyServices } from '../../src/privacy/privacy-services.js';
import { silentLogger } from '../../src/index.js';
import { RevocationBoard } from '../../src/revocation/revocation-board.js';
import { EventRouting } from '../../src/routing/event-routing.js';
import { RuntimeFixture } from './runtime.js';

export const ADMIN_TOKEN = 'admin-token-for-tests-0001';

/** Runtime + privacy services + the admin and OpenDSR APIs on a real loopback port. */
export class PrivacyFixture {
  readonly runtime: RuntimeFixture;
  readonly revocations = RevocationBoard.create();
  services!: PrivacyServices;
  routing!: EventRouting;
  app!: FastifyInstance;
  baseUrl = '';

  constructor() {
    this.runtime = new RuntimeFixture({ gate: (id, items, finished) => this.services.gate.deliveryGate(id, items, finished), revocations: this.revocations });
  }

  async start(privacy: Partial<PrivacyConfig> = {}, dsr: DsrConfig = {}): Promise<this> {
    this.services = await PrivacyServices.open({
      storageDir: this.runtime.dir, privacy, dsr, runtime: this.runtime.runtime, queue: this.runtime.queue, log: silentLogger, revocations: this.revocations,
    });
    this.routing = new EventRouting({
      gate: this.services.gate, audit: this.services.audit, deliveries: this.runtime.runtime, connections: () => this.runtime.runtime.connections(),
    });
    this.app = Fastify();
    const tokens = () => [ADMIN_TOKEN];
    await this.app.register(adminRoutes, {
      prefix: '/admin/v1', tokens, suppressions: this.services.suppressions, audit: this.services.audit,
      gate: this.services.gate, profiles: this.services.profiles, runtime: this.runtime.runtime,
      publish: (event) => this.routing.publish(event),
      replay: (filter) => this.routing.replayDeadLetters(filter),
    });
    await this.app.register(openDsrRoutes, {
      prefix: '/opendsr/v1', tokens, store: this.services.dsrStore, processor: this.services.dsr, signer: this.services.signer,
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
    try { json = raw ? JSON.parse(raw) : undefined; } catch { json = raw; }
    return { status: response.status, headers: response.headers, raw, json };
  }

  async close(): Promise<void> {
    await this.app.close();
    await this.runtime.runtime.stop();
    await this.services.close();
    await this.runtime.close();
  }
}
