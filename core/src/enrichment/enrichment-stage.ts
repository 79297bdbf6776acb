import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type CircuitBreaker from 'opossum';
import { PRIVACY_RECHECK, subscriptionTakes, type AnyConnector, type CanonicalEvent, type EnrichmentResult } from '@switchyard/sdk-kit';
import type { Logger } from '../logging.js';
import type { RevocationBoard } from '../revocation/revocation-board.js';
import { ConnectionWorkerPool } from '../workers/worker-pool.js';
import { breakerState, createBreaker } from '../workers/circuit-breaker.js';
import { EnrichmentCache } from './enrichment-cache.js';

export interface EnrichmentConnection {
  id: string;
  connector: AnyConnector;
  moduleUrl: string;
  settings: unknown;
  /** How long ingestion waits for a lookup before the event goes on unenriched (default 100 ms). */
  timeoutMs?: number;
  cacheTtlMs?: number;
  cacheSize?: number;
}

export interface EnrichmentStats {
  enriched: number;
  cacheHits: number;
  timeouts: number;
  failures: number;
  skippedBreakerOpen: number;
  breaker: string;
}

type Found = Record<string, unknown> | null;

interface Running {
  connection: EnrichmentConnection;
  pool: ConnectionWorkerPool;
  breaker: CircuitBreaker<[CanonicalEvent[], string[], number | undefined], void>;
  cache: EnrichmentCache<Found>;
  inflight: Map<string, Promise<void>>;
  stats: Omit<EnrichmentStats, 'breaker'>;
}

/**
 * Runs enrichment connectors on events before fan-out. Each lookup is cached by the connector's key,
 * bounded by a short timeout and guarded by a circuit breaker: a slow or failing provider costs an event
 * its enrichment, never its delivery. A lookup that answers after the timeout still fills the cache.
 */
export class EnrichmentStage {
  private running = new Map<string, Running>();

  constructor(
    private readonly storageDir: string,
    private readonly log: Logger,
    /** The revocations the lookups' workers check right before a person's data leaves. */
    private readonly revocations?: RevocationBoard,
  ) {}

  async apply(connections: EnrichmentConnection[]): Promise<void> {
    const old = this.running;
    this.running = new Map(connections.map((c) => [c.id, this.start(c)]));
    await Promise.all(
      [...old.values()].map((r) => {
        r.breaker.shutdown();
        return r.pool.close();
      }),
    );
  }

  private start(connection: EnrichmentConnection): Running {
    const dataDir = join(this.storageDir, 'connections', connection.id);
    mkdirSync(dataDir, { recursive: true });
    const pool = new ConnectionWorkerPool(
      { connectorModule: connection.moduleUrl, connectionId: connection.id, settings: connection.settings, dataDir },
      { maxThreads: 1, concurrentTasksPerWorker: 16, taskTimeoutMs: 30_000, maxOldGenerationSizeMb: 128 },
      this.revocations,
    );
    const cache = new EnrichmentCache<Found>(connection.cacheSize ?? 10_000, connection.cacheTtlMs ?? 3_600_000);
    const stats = { enriched: 0, cacheHits: 0, timeouts: 0, failures: 0, skippedBreakerOpen: 0 };
    const lookup = async (events: CanonicalEvent[], keys: string[], privacyCheckpoint: number | undefined) => {
      const answers = (await pool.enrich(JSON.stringify(events), 30_000, privacyCheckpoint))
        .map((result: EnrichmentResult, i) => ({ result, key: keys[i]! }))
        // A person revoked since admission was not looked up: nothing to cache, and no failure of the provider.
        .filter(({ result }) => result.error?.code !== PRIVACY_RECHECK);
      for (const { result, key } of answers) {
        if (result.error) stats.failures += 1;
        else cache.set(key, result.data ?? null);
      }
      if (answers.length > 0 && answers.every(({ result }) => result.error)) throw new Error(answers[0]!.result.error!.message ?? 'enrichment failed');
    };
    const breaker = createBreaker(lookup, {
      timeoutMs: connection.timeoutMs ?? 100,
      errorThresholdPercentage: 50,
      volumeThreshold: 5,
      resetTimeoutMs: 10_000,
      rollingWindowMs: 10_000,
    });
    return { connection, pool, breaker, cache, inflight: new Map(), stats };
  }

  /**
   * Enriches the events in place. Never throws and never waits longer than the slowest connection's timeout.
   * `privacyCheckpoint` is the revocation count the events were admitted at (see PrivacyGate.checkpoint).
   */
  async enrich(events: CanonicalEvent[], privacyCheckpoint?: number): Promise<void> {
    await Promise.all(
      [...this.running.values()].map((running) =>
        this.enrichWith(running, events, privacyCheckpoint).catch((error: unknown) => {
          this.log.warn({ connection: running.connection.id, err: error }, 'enrichment skipped');
        }),
      ),
    );
  }

  private async enrichWith(running: Running, events: CanonicalEvent[], privacyCheckpoint: number | undefined): Promise<void> {
    const { connection, cache, stats } = running;
    const enrichment = connection.connector.enrichment!;
    const wanted = new Map<string, CanonicalEvent[]>();
    for (const event of events) {
      if (!subscriptionTakes(enrichment.subscribe, event)) continue;
      const key = enrichment.cacheKey(event, connection.settings as never);
      if (key !== undefined) wanted.set(key, [...(wanted.get(key) ?? []), event]);
    }
    const missing = [...wanted.keys()].filter((key) => !cache.get(key) && !running.inflight.has(key));
    if (missing.length > 0) {
      if (running.breaker.opened) stats.skippedBreakerOpen += missing.length;
      else {
        const lookup = running.breaker
          .fire(
            missing.map((k) => wanted.get(k)![0]!),
            missing,
            privacyCheckpoint,
          )
          .catch((error: { code?: string }) => {
            if (error.code === 'ETIMEDOUT') stats.timeouts += 1;
          });
        for (const key of missing) running.inflight.set(key, lookup);
        void lookup.finally(() => {
          for (const key of missing) running.inflight.delete(key);
        });
      }
    }
    await Promise.all([...wanted.keys()].map((key) => running.inflight.get(key)));
    for (const [key, keyed] of wanted) {
      const hit = cache.get(key);
      if (!hit || hit.value === null) continue;
      if (!missing.includes(key)) stats.cacheHits += keyed.length;
      for (const event of keyed) {
        setPath(event, enrichment.target, structuredClone(hit.value));
        stats.enriched += 1;
      }
    }
  }

  stats(): Record<string, EnrichmentStats> {
    return Object.fromEntries([...this.running].map(([id, r]) => [id, { ...r.stats, breaker: breakerState(r.breaker) }]));
  }

  async stop(): Promise<void> {
    await this.apply([]);
  }
}

function setPath(target: object, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target as Record<string, unknown>;
  for (const key of keys.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1]!] = value;
}
