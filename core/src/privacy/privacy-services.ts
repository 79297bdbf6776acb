import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { DsrConfig, PrivacyConfig } from '../config/config-types.js';
import type { DeliveryRuntime } from '../delivery/delivery-runtime.js';
import type { DeliveryQueue } from '../queue/delivery-queue.js';
import type { Logger } from '../logging.js';
import { ProfileStore } from '../profiles/profile-store.js';
import { DsrProcessor } from '../dsr/dsr-processor.js';
import { DsrStore } from '../dsr/dsr-store.js';
import { DsrSigner } from '../dsr/signing.js';
import { PrivacyAudit } from './privacy-audit.js';
import { resolvePrivacyConfig } from './privacy-config.js';
import type { RevocationBoard } from '../revocation/revocation-board.js';
import { PrivacyGate } from './privacy-gate.js';
import { SuppressionStore } from './suppression-store.js';

export interface PrivacyServicesOptions {
  storageDir: string;
  privacy?: Partial<PrivacyConfig>;
  dsr?: DsrConfig;
  runtime: DeliveryRuntime;
  queue: DeliveryQueue;
  log: Logger;
  /** Shared with the delivery workers: every revocation is recorded on it. */
  revocations: RevocationBoard;
}

/**
 * Everything privacy needs, over one SQLite file (`privacy.db`) beside the queue: profiles (consent and
 * rectified attributes), suppressions, audit counters and data-subject requests.
 */
export class PrivacyServices {
  private config: PrivacyConfig;
  private readonly flushTimer: NodeJS.Timeout;
  readonly profiles: ProfileStore;
  readonly suppressions: SuppressionStore;
  readonly audit: PrivacyAudit;
  readonly gate: PrivacyGate;
  readonly dsrStore: DsrStore;
  readonly dsr: DsrProcessor;

  private constructor(private readonly db: Database.Database, readonly signer: DsrSigner, readonly options: PrivacyServicesOptions, runBase: number) {
    this.config = resolvePrivacyConfig(options.privacy);
    this.profiles = new ProfileStore(db);
    this.suppressions = new SuppressionStore(db);
    this.audit = new PrivacyAudit(db);
    this.gate = new PrivacyGate({
      config: () => this.config,
      profiles: this.profiles,
      suppressions: this.suppressions,
      audit: this.audit,
      connections: () => options.runtime.connections(),
      board: options.revocations,
      runBase,
    });
    this.dsrStore = new DsrStore(db);
    this.dsr = new DsrProcessor(
      {
        store: this.dsrStore, signer, queue: options.queue, profiles: this.profiles, suppressions: this.suppressions,
        gate: this.gate, audit: this.audit, forwarder: options.runtime, log: options.log,
      },
      {
        gracePeriodMs: options.dsr?.gracePeriodMs ?? 60_000,
        resultsTtlMs: options.dsr?.resultsTtlMs ?? 7 * 24 * 3600 * 1000,
        forwardAttempts: 3,
        exportDir: join(options.storageDir, 'dsr', 'exports'),
      },
    );
    this.flushTimer = setInterval(() => this.audit.flush(), 1000);
    this.flushTimer.unref();
  }

  static async open(options: PrivacyServicesOptions): Promise<PrivacyServices> {
    mkdirSync(options.storageDir, { recursive: true });
    const db = new Database(join(options.storageDir, 'privacy.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    const signer = await DsrSigner.load({
      dir: join(options.storageDir, 'dsr'),
      processorDomain: options.dsr?.processorDomain ?? 'switchyard.localhost',
      certificateFile: options.dsr?.certificateFile,
      privateKeyFile: options.dsr?.privateKeyFile,
    });
    const services = new PrivacyServices(db, signer, options, nextRunBase(db));
    services.dsr.resume();
    return services;
  }

  /** A config reload replaces purposes and the missing-consent policy without a restart. */
  updateConfig(privacy: Partial<PrivacyConfig> | undefined): void {
    this.config = resolvePrivacyConfig(privacy);
  }

  get privacyConfig(): PrivacyConfig {
    return this.config;
  }

  async close(): Promise<void> {
    clearInterval(this.flushTimer);
    await this.dsr.stop();
    this.audit.flush();
    this.profiles.flushConsent();
    if (this.db.open) this.db.close();
  }
}

/**
 * Privacy versions are `run × 2^32 + revocations in this run`; the run number is persisted, so every version
 * stamped on a queued delivery by an earlier run is below this run's and gets checked again once.
 */
function nextRunBase(db: Database.Database): number {
  db.exec('CREATE TABLE IF NOT EXISTS privacy_runs (id INTEGER PRIMARY KEY CHECK (id = 1), run INTEGER NOT NULL)');
  const run = db.transaction(() => {
    const row = db.prepare('SELECT run FROM privacy_runs WHERE id = 1').get() as { run: number } | undefined;
    const next = (row?.run ?? 0) + 1;
    db.prepare('INSERT INTO privacy_runs (id, run) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET run = excluded.run').run(next);
    return next;
  })();
  return run * 2 ** 32;
}
