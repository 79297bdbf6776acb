import Database from 'better-sqlite3';
import { join } from 'node:path';
import type { DsrConfig, SharedStateConfig } from '../config/config-types.js';
import type { Logger } from '../logging.js';
import type { PrivacyServices } from '../privacy/privacy-services.js';
import type { DeliveryQueue } from '../queue/delivery-queue.js';
import type { SubjectRequestForwarder } from './connection-forwarding.js';
import { DsrProcessor, type DsrProcessorDeps } from './dsr-processor.js';
import type { DsrStore } from './dsr-store.js';
import { PostgresDsrStore } from './postgres-dsr-store.js';
import { SqliteDsrStore } from './sqlite-dsr-store.js';
import { DsrSigner } from './signing.js';

export interface DsrServicesOptions {
  storageDir: string;
  /** privacy.db: requests are kept beside the profiles and suppressions they act on. */
  databaseFile: string;
  /** With PostgreSQL, requests and their exports are shared with every router on the same schema. */
  state?: SharedStateConfig;
  dsr?: DsrConfig;
  queue: DeliveryQueue;
  privacy: Pick<PrivacyServices, 'profiles' | 'suppressions' | 'gate' | 'audit'>;
  forwarder: SubjectRequestForwarder;
  log: Logger;
  identity: DsrProcessorDeps['identity'];
}

/** Data-subject requests (OpenDSR): their store, the signer of every answer and callback, and the processor. */
export class DsrServices {
  private constructor(
    readonly store: DsrStore,
    readonly signer: DsrSigner,
    readonly processor: DsrProcessor,
  ) {}

  static async open(options: DsrServicesOptions): Promise<DsrServices> {
    const signer = await DsrSigner.load({
      dir: join(options.storageDir, 'dsr'),
      processorDomain: options.dsr?.processorDomain ?? 'switchyard.localhost',
      certificateFile: options.dsr?.certificateFile,
      privateKeyFile: options.dsr?.privateKeyFile,
    });
    const store = await openDsrStore(options);
    const { profiles, suppressions, gate, audit } = options.privacy;
    const processor = new DsrProcessor(
      { store, signer, queue: options.queue, profiles, suppressions, gate, identity: options.identity, audit, forwarder: options.forwarder, log: options.log },
      {
        gracePeriodMs: options.dsr?.gracePeriodMs ?? 60_000,
        resultsTtlMs: options.dsr?.resultsTtlMs ?? 7 * 24 * 3600 * 1000,
        forwardAttempts: 3,
        exportDir: join(options.storageDir, 'dsr', 'exports'),
        ...(options.dsr?.sweepIntervalMs !== undefined ? { sweepIntervalMs: options.dsr.sweepIntervalMs } : {}),
      },
    );
    try {
      await processor.resume();
    } catch (error) {
      await processor.stop();
      await store.close();
      throw error;
    }
    return new DsrServices(store, signer, processor);
  }

  async close(): Promise<void> {
    await this.processor.stop();
    await this.store.close();
  }
}

async function openDsrStore(options: DsrServicesOptions): Promise<DsrStore> {
  if (options.state?.type === 'postgres') return PostgresDsrStore.open({ url: options.state.url, schema: options.state.schema });
  const db = new Database(options.databaseFile);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  return new SqliteDsrStore(db);
}
