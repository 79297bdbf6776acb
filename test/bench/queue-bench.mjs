// The embedded SQLite queue on its own, as the router drives it under load: each turn 8 requests of 100 events are
// enqueued (one group commit) while the previous turn's deliveries are completed, then 8 leases of 100. Beside it,
// the ceiling measured in the same run: the same bodies inserted into a bare one-table SQLite file, 800 per
// transaction, with the same WAL and synchronous=FULL. CPU per event is given too: on a busy machine it moves far
// less than events/s.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteDeliveryQueue } from '@switchyard/core';

const TURN = 800;
const BODY = JSON.stringify({
  type: 'track',
  event: 'Product Viewed',
  properties: { sku: 'sku-1', price: 19.99, currency: 'USD' },
  context: { ip: '203.0.113.7', library: { name: 'bench', version: '1' } },
  timestamp: new Date().toISOString(),
  pad: 'x'.repeat(500),
});

function cpuMs() {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

function measure(run) {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-queue-bench-'));
  const wall = performance.now();
  const cpu = cpuMs();
  return Promise.resolve(run(join(dir, 'queue.db'))).then(() => {
    const result = { ms: performance.now() - wall, cpuMs: cpuMs() - cpu };
    rmSync(dir, { recursive: true, force: true });
    return result;
  });
}

function ceiling(events) {
  return measure((file) => {
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec('CREATE TABLE events (seq INTEGER PRIMARY KEY, message_id TEXT NOT NULL, body TEXT NOT NULL)');
    const insert = db.prepare('INSERT INTO events (message_id, body) VALUES (?, ?)');
    const turn = db.transaction((from) => {
      for (let i = from; i < Math.min(events, from + TURN); i += 1) insert.run(`m-${i}`, BODY);
    });
    for (let from = 0; from < events; from += TURN) turn(from);
    db.close();
  });
}

function throughQueue(events) {
  return measure(async (file) => {
    const queue = new SqliteDeliveryQueue(file);
    const event = (i) => ({
      messageId: `m-${i}`,
      sourceId: 'web',
      body: BODY,
      identityKeys: [`user_id:user-${i % 1000}`, `profile:p-${i % 1000}`],
      connectionIds: ['hook'],
      privacyVersion: 1,
    });
    let leased = [];
    for (let from = 0; from < events + TURN; from += TURN) {
      const work = [];
      for (let r = from; r < Math.min(events, from + TURN); r += 100) {
        work.push(queue.enqueue(Array.from({ length: Math.min(100, events - r) }, (_, k) => event(r + k))));
      }
      for (let b = 0; b < leased.length; b += 100) work.push(queue.complete(leased.slice(b, b + 100)));
      await Promise.all(work);
      leased = [];
      for (let b = 0; b < TURN / 100; b += 1) leased.push(...(await queue.lease('hook', 100, Date.now())).map((d) => d.id));
    }
    const left = Object.values(await queue.depth()).reduce((a, b) => a + b, 0);
    await queue.close();
    if (left !== 0) throw new Error(`${left} deliveries were left in the queue`);
  });
}

const fmt = (n) => Math.round(n).toLocaleString('en-US');

export async function runQueueBench({ events = 20_000 } = {}) {
  console.log(`queue benchmark: ${events} events through the SQLite queue, ${TURN} accepted per turn while the previous turn is delivered`);
  const bare = await ceiling(events);
  const perSecond = (r) => events / (r.ms / 1000);
  console.log(
    `  ceiling (bare SQLite insert, ${TURN} per transaction, synchronous=FULL): ${fmt(perSecond(bare))} events/s, ` +
      `${((bare.cpuMs / events) * 1000).toFixed(1)} µs CPU per event  [1.00x]`,
  );
  const queued = await throughQueue(events);
  console.log(
    `  SqliteDeliveryQueue, enqueued, leased and completed: ${fmt(perSecond(queued))} events/s ` +
      `(${(perSecond(queued) / perSecond(bare)).toFixed(2)}x ceiling), ${((queued.cpuMs / events) * 1000).toFixed(1)} µs CPU per event`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await runQueueBench({ events: Number(process.env.BENCH_EVENTS ?? 20_000) });
  process.exit(0);
}
