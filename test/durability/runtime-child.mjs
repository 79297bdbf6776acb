// The runtime in its own process, for the kill -9 test.
// produce mode: accepts `count` events in batches and prints `ACK <from> <to>` once each batch is durable.
// resume mode: only delivers what the queue holds.
// Usage: node runtime-child.mjs <storageDir> <sinkUrl> produce <count> | resume
import { join } from 'node:path';
import { DeliveryRuntime, SqliteDeliveryQueue, loadConnector, silentLogger } from '@switchyard/core';

const [storageDir, sinkUrl, mode, countArg] = process.argv.slice(2);
const queue = new SqliteDeliveryQueue(join(storageDir, 'queue.db'));
const runtime = new DeliveryRuntime({ queue, storageDir, log: silentLogger });
const { connector, moduleUrl } = await loadConnector('webhook', process.cwd());
await runtime.applyConnections([
  {
    id: 'hook',
    connector,
    moduleUrl,
    settings: { url: sinkUrl },
    delivery: { maxConcurrency: 8 },
  },
]);
process.stdout.write('READY\n');
// A real router is kept alive by its HTTP server; this stand-in keeps the process up until it is killed.
setInterval(() => undefined, 60_000);

if (mode === 'produce') {
  const count = Number(countArg);
  const batchSize = 50;
  for (let from = 0; from < count; from += batchSize) {
    const batch = [];
    for (let i = from; i < Math.min(count, from + batchSize); i += 1) {
      const event = {
        messageId: `evt-${i}`,
        type: 'track',
        event: 'Durability Probe',
        userId: `u-${i % 17}`,
        identities: { user_id: `u-${i % 17}` },
        traits: {},
        properties: { i },
        context: {},
        timestamp: new Date().toISOString(),
        receivedAt: new Date().toISOString(),
        sourceId: 'web',
      };
      batch.push({ messageId: event.messageId, sourceId: 'web', body: JSON.stringify(event), identityKeys: [], connectionIds: ['hook'] });
    }
    await runtime.accept(batch);
    process.stdout.write(`ACK ${from} ${from + batch.length - 1}\n`);
    // Paced like clients arriving over time, so the kill lands while acceptance is still going on.
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  process.stdout.write('PRODUCED\n');
}
