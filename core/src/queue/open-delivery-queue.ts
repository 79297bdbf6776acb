import { join } from 'node:path';
import type { QueueConfig } from '../config/config-types.js';
import type { DeliveryQueue } from './delivery-queue.js';
import { NatsDeliveryQueue } from './nats/nats-delivery-queue.js';
import { ThreadedSqliteQueue } from './threaded-sqlite-queue.js';

/** The queue `queue` names: NATS JetStream, or by default `queue.db` in the storage dir on a thread of its own. */
export async function openDeliveryQueue(config: QueueConfig | undefined, storageDir: string): Promise<DeliveryQueue> {
  if (config?.type === 'nats') return NatsDeliveryQueue.open({ servers: config.servers, stream: config.stream, ackWaitMs: config.ackWaitMs });
  return ThreadedSqliteQueue.open(join(storageDir, 'queue.db'));
}
