import { join } from 'node:path';
import { DeliveryRuntime } from '../delivery/delivery-runtime.js';
import { DsrServices } from '../dsr/dsr-services.js';
import type { Logger } from '../logging.js';
import type { DsrConfig, PrivacyConfig } from '../config/config-types.js';
import { privacyDatabaseFile, PrivacyServices } from '../privacy/privacy-services.js';
import type { DeliveryQueue } from '../queue/delivery-queue.js';
import { ThreadedSqliteQueue } from '../queue/threaded-sqlite-queue.js';
import { RevocationBoard } from '../revocation/revocation-board.js';
import { EventRouting, type RoutableConnection } from '../routing/event-routing.js';

export interface DataPathOptions {
  storageDir: string;
  log: Logger;
  privacy?: Partial<PrivacyConfig>;
  dsr?: DsrConfig;
  /** Every configured connection with its consent rule, quarantine connections included; read on every decision. */
  connections: () => readonly RoutableConnection[];
  /** The connections system events (rectification) go to: the regular fan-out. */
  systemEventTargets: () => readonly RoutableConnection[];
  /** `logging.level` for connector code in the workers. */
  logLevel?: () => string | undefined;
  /** The durable queue; by default the embedded SQLite queue on its own thread, in the storage dir. */
  queue?: DeliveryQueue;
}

/** Everything from the routing decision to the connectors, with the privacy and data-subject services around it. */
export interface DataPath {
  queue: DeliveryQueue;
  revocations: RevocationBoard;
  privacy: PrivacyServices;
  runtime: DeliveryRuntime;
  dsr: DsrServices;
  routing: EventRouting;
  /** Stops deliveries (in-flight ones finish or go back to the queue), then closes every store. */
  close(): Promise<void>;
}

/**
 * Builds the data path in its order: queue → revocation board → privacy (stores and gate) → delivery runtime
 * (the gate plugged into its port) → data-subject requests → the routing decision. The router and the tests
 * both build it here. Whatever opened before a failure is closed again.
 */
export async function openDataPath(options: DataPathOptions): Promise<DataPath> {
  const opened: Array<() => Promise<void> | void> = [];
  try {
    const queue = options.queue ?? (await ThreadedSqliteQueue.open(join(options.storageDir, 'queue.db')));
    if (!options.queue) opened.unshift(() => queue.close());
    const revocations = RevocationBoard.create();
    const privacy = PrivacyServices.open({ storageDir: options.storageDir, privacy: options.privacy, revocations, connections: options.connections });
    opened.unshift(() => privacy.close());
    const runtime = new DeliveryRuntime({
      queue,
      storageDir: options.storageDir,
      log: options.log,
      revocations,
      logLevel: options.logLevel,
      gate: privacy.gate.deliveryGate,
    });
    opened.unshift(() => runtime.stop());
    const dsr = await DsrServices.open({
      storageDir: options.storageDir,
      databaseFile: privacyDatabaseFile(options.storageDir),
      dsr: options.dsr,
      queue,
      privacy,
      forwarder: runtime,
      log: options.log,
    });
    opened.unshift(() => dsr.close());
    const routing = new EventRouting({
      gate: privacy.gate,
      audit: privacy.audit,
      deliveries: runtime,
      connections: options.connections,
      systemEventTargets: options.systemEventTargets,
    });
    const close = async () => {
      for (const step of opened.splice(0)) await step();
    };
    return { queue, revocations, privacy, runtime, dsr, routing, close };
  } catch (error) {
    for (const step of opened) await Promise.resolve(step()).catch(() => undefined);
    throw error;
  }
}
