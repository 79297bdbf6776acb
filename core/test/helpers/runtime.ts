import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HttpSink } from './http-sink.js';
import { DeliveryRuntime, SqliteDeliveryQueue, loadConnector, silentLogger, type RuntimeConnection, type SettledBatch } from '../../src/index.js';
import type { ConnectionConsentRule, DeliveryOverrides } from '../../src/config/config-types.js';
import type { DeliveryGate } from '../../src/types.js';

export const FIXTURES = fileURLToPath(new URL('../fixtures/connectors/', import.meta.url));

export interface ConnectionSpec {
  id: string;
  connector: string;
  settings: unknown;
  delivery?: DeliveryOverrides;
  consent?: ConnectionConsentRule;
}

/**
 * A DeliveryRuntime over a fresh SQLite queue in a temp dir, with a log of settled batches. Either a bare
 * runtime (delivery tests) or the one the composition root built (`use`), so privacy tests run the real wiring.
 */
export class RuntimeFixture {
  readonly dir: string;
  readonly queue: SqliteDeliveryQueue;
  readonly runtime: DeliveryRuntime;
  readonly settled: SettledBatch[] = [];
  readonly breakerStates: Array<{ connectionId: string; state: string }> = [];
  /** Connection specs given to `connect`, with their consent rules (what the config would say). */
  readonly specs: Array<RuntimeConnection & { consent?: ConnectionConsentRule }> = [];

  constructor(options: { gate?: DeliveryGate; use?: { dir: string; queue: SqliteDeliveryQueue; runtime: DeliveryRuntime } } = {}) {
    this.dir = options.use?.dir ?? mkdtempSync(join(tmpdir(), 'switchyard-runtime-'));
    this.queue = options.use?.queue ?? new SqliteDeliveryQueue(join(this.dir, 'queue.db'));
    this.runtime = options.use?.runtime ?? new DeliveryRuntime({ queue: this.queue, storageDir: this.dir, log: silentLogger, gate: options.gate });
    this.runtime.on('settled', (batch: SettledBatch) => this.settled.push(batch));
    this.runtime.on('breaker', (connectionId: string, state: string) => this.breakerStates.push({ connectionId, state }));
  }

  async connect(specs: ConnectionSpec[]): Promise<void> {
    const connections: RuntimeConnection[] = [];
    this.specs.splice(0);
    for (const spec of specs) {
      const { connector, moduleUrl } = await loadConnector(spec.connector, FIXTURES);
      connections.push({ id: spec.id, connector, moduleUrl, settings: spec.settings, delivery: spec.delivery });
      this.specs.push({ id: spec.id, connector, moduleUrl, settings: spec.settings, delivery: spec.delivery, consent: spec.consent });
    }
    await this.runtime.applyConnections(connections);
  }

  deadLettered(connectionId?: string): string[] {
    return this.settled.filter((s) => !connectionId || s.connectionId === connectionId).flatMap((s) => s.deadLettered);
  }

  delivered(connectionId?: string): string[] {
    return this.settled.filter((s) => !connectionId || s.connectionId === connectionId).flatMap((s) => s.delivered);
  }

  /** Waits until `predicate` holds, re-checked each time a batch settles. */
  async until(predicate: () => boolean, timeoutMs = 20_000, what = 'the runtime'): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, 200);
        this.runtime.once('settled', done);
        function done() {
          clearTimeout(timer);
          resolve();
        }
      });
    }
  }

  async close(): Promise<void> {
    await this.runtime.stop();
    await this.queue.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Registers beforeEach/afterEach that give each test a fresh loopback sink and runtime, in the returned holder. */
export function useSinkAndRuntime(): { sink: HttpSink; fixture: RuntimeFixture } {
  const holder = {} as { sink: HttpSink; fixture: RuntimeFixture };
  beforeEach(async () => {
    holder.sink = await new HttpSink().start();
    holder.fixture = new RuntimeFixture();
  });
  afterEach(async () => {
    await holder.fixture.close();
    await holder.sink.stop();
  });
  return holder;
}
