// Memory benchmark: events keep arriving for three connections — one healthy, one whose destination hangs
// (accepts, never answers), one whose destination refuses — and the router's RSS is sampled every second.
// BENCH_MEMORY_SECONDS sets the length (default 30, as `npm run bench` runs it; 300 for the five-minute figure).
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DeliveryRuntime, SqliteDeliveryQueue, loadConnector, silentLogger } from '@switchyard/core';
import { startSinkProcess } from './sink-client.mjs';

const EVENTS_PER_SECOND = 200; // per connection
const TICK_MS = 100;

function startHangProcess() {
  const child = fork(fileURLToPath(new URL('./hang-process.mjs', import.meta.url)), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve) =>
    child.once('message', ({ url }) =>
      resolve({
        url,
        openSockets: () => new Promise((done) => (child.once('message', (m) => done(m.open)), child.send({ type: 'stats' }))),
        stop: () => new Promise((done) => (child.once('exit', done), child.send({ type: 'stop' }))),
      }),
    ),
  );
}

function event(lane, i) {
  const now = new Date().toISOString();
  return {
    messageId: `mem-${lane}-${i}-${Math.random().toString(36).slice(2)}`,
    type: 'track',
    event: 'Product Viewed',
    userId: `user-${i % 1000}`,
    identities: { user_id: `user-${i % 1000}` },
    traits: {},
    properties: { lane, sku: `sku-${i % 50}`, price: 19.99, currency: 'USD', acceptedAt: Date.now() },
    context: { ip: '203.0.113.7', library: { name: 'bench', version: '1' } },
    timestamp: now,
    receivedAt: now,
    sourceId: 'web',
  };
}

const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

export async function runMemoryBench({ seconds = Number(process.env.BENCH_MEMORY_SECONDS ?? 30) } = {}) {
  const sink = await startSinkProcess();
  const hang = await startHangProcess();
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-memory-bench-'));
  const queue = new SqliteDeliveryQueue(join(dir, 'queue.db'));
  const runtime = new DeliveryRuntime({ queue, storageDir: dir, log: silentLogger });
  const { connector, moduleUrl } = await loadConnector('webhook', process.cwd());
  const urls = { healthy: sink.url, hanging: hang.url, refusing: 'http://127.0.0.1:1/refused' };
  await runtime.applyConnections(Object.entries(urls).map(([id, url]) => ({ id, connector, moduleUrl, settings: { url } })));
  const lines = [];
  const print = (line) => (lines.push(line), console.log(line));
  print(`memory benchmark: ${seconds} s, ${EVENTS_PER_SECOND} events/s to each of a healthy, a hanging and a refusing connection`);

  let sent = 0;
  const perTick = Math.round((EVENTS_PER_SECOND * TICK_MS) / 1000);
  const feeder = setInterval(() => {
    const batch = [];
    for (const lane of Object.keys(urls)) {
      for (let i = 0; i < perTick; i += 1) {
        const e = event(lane, sent + i);
        batch.push({ messageId: e.messageId, sourceId: 'web', body: JSON.stringify(e), identityKeys: [], connectionIds: [lane] });
      }
    }
    sent += perTick;
    void runtime.accept(batch);
  }, TICK_MS);

  // RSS once the workers have booted and the first hanging requests are open (the first tenth of the run, at most
  // 30 s): the "start" the rest is compared to.
  const warmUpMs = Math.min(30_000, (seconds * 1000) / 10);
  await new Promise((resolve) => setTimeout(resolve, warmUpMs));
  const start = process.memoryUsage().rss;
  let peak = start;
  const began = Date.now();
  while (Date.now() - began < seconds * 1000 - warmUpMs) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    peak = Math.max(peak, process.memoryUsage().rss);
    const elapsed = Math.round((Date.now() - began + warmUpMs) / 1000);
    if (elapsed % Number(process.env.BENCH_MEMORY_EVERY ?? 60) === 0) {
      const m = process.memoryUsage();
      print(`  ${elapsed} s: RSS ${mb(m.rss)} (main heap ${mb(m.heapUsed)}, external ${mb(m.external)}), ${JSON.stringify(summary(runtime.stats()))}`);
    }
  }
  clearInterval(feeder);
  const end = process.memoryUsage().rss;
  const within = (rss) => Math.abs(rss - start) / start <= 0.1;
  const stats = summary(runtime.stats());
  print(
    `  RSS start ${mb(start)}, peak ${mb(peak)} (${pct(peak, start)}), end ${mb(end)} (${pct(end, start)}): ${within(peak) && within(end) ? 'within' : 'NOT within'} ±10%`,
  );
  print(`  delivered ${stats.healthy.delivered} to the healthy connection; open sockets at the hanging destination: ${await hang.openSockets()}`);
  await runtime.stop();
  await queue.close();
  rmSync(dir, { recursive: true, force: true });
  await hang.stop();
  await sink.stop();
  return { lines };
}

const pct = (value, base) => `${value >= base ? '+' : ''}${(((value - base) / base) * 100).toFixed(1)}%`;

function summary(stats) {
  return Object.fromEntries(
    Object.entries(stats).map(([id, s]) => [
      id,
      { delivered: s.delivered, retried: s.retried, inFlight: s.inFlight, failedTasks: s.failedTasks, breaker: s.breaker },
    ]),
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await runMemoryBench();
  process.exit(0);
}
