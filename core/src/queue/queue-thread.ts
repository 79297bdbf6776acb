import { parentPort, workerData } from 'node:worker_threads';
import { SqliteDeliveryQueue } from './sqlite-delivery-queue.js';

/**
 * The SQLite queue's own thread: every queue call (and every fsync) happens here, so ingestion and
 * dispatch on the main thread never block on the disk. Calls arriving while a commit is in progress
 * are grouped into the next transaction by the queue's group commit.
 */
const port = parentPort!;
let queue: SqliteDeliveryQueue;
try {
  queue = new SqliteDeliveryQueue((workerData as { file: string }).file);
  port.postMessage({ ready: true });
} catch (error) {
  port.postMessage({ ready: false, error: { message: (error as Error).message, code: (error as NodeJS.ErrnoException).code } });
}

port.on('message', (call: { id: number; method: keyof SqliteDeliveryQueue; args: unknown[] }) => {
  const method = queue[call.method] as (...args: unknown[]) => Promise<unknown>;
  method.apply(queue, call.args).then(
    (result) => port.postMessage({ id: call.id, result }),
    (error: Error & { code?: string }) => port.postMessage({ id: call.id, error: { message: error.message, code: error.code } }),
  );
});
