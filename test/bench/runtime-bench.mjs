// Delivery-runtime benchmark: queue → workers → webhook connector → a loopback sink in another process,
// beside a naive baseline measured in the same run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { got } from 'got';
import { DeliveryRuntime, SqliteDeliveryQueue, loadConnector, silentLogger } from '@switchyard/core';
import { percentile, startSinkProcess } from './sink-client.mjs';

function makeEvent(i, lane) {
  const now = new Date().toISOString();
  return {
    messageId: `bench-${lane}-${i}-${Math.random().toString(36).slice(2)}`,
    type: 'track',
    event: 'Product Viewed',
    userId: `user-${i % 1000}`,
    identities: { user_id: `user-${i % 1000}` },
    traits: {},
    properties: { lane, sku: `sku-${i % 50}`, price: 19.99, currency: 'USD', acceptedAt: 0 },
    context: { ip: '203.0.113.7', library: { name: 'bench', version: '1' } },
    timestamp: now,
    receivedAt: now,
    sourceId: 'web',
  };
}

async function naiveBaseline(sink, count) {
  await sink.reset();
  const start = performance.now();
  const cpuAtStart = process.cpuUsage();
  for (let i = 0; i < count; i += 1) {
    const event = makeEvent(i, 'naive');
    event.properties.acceptedAt = Date.now();
    await got.post(sink.url, { json: event, retry: { limit: 0 } });
  }
  const seconds = (performance.now() - start) / 1000;
  const cpuMsPerEvent = cpuMs(cpuAtStart) / count;
  const { latencies } = await sink.stats();
  return { eventsPerSecond: count / seconds, cpuMsPerEvent, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

async function runtimeRun(sink, count, lanes, { batching = false, deadLanes = [], maxConcurrency } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-bench-'));
  const queue = new SqliteDeliveryQueue(join(dir, 'queue.db'));
  const runtime = new DeliveryRuntime({ queue, storageDir: dir, log: silentLogger });
  const { connector, moduleUrl } = await loadConnector('webhook', process.cwd());
  await runtime.applyConnections(
    lanes.map((lane) => ({
      id: lane,
      connector,
      moduleUrl,
      settings: { url: deadLanes.includes(lane) ? 'http://127.0.0.1:1/refused' : sink.url, batching },
      delivery: { retry: { baseDelayMs: 200, maxDelayMs: 2000, maxAttempts: 50 }, ...(maxConcurrency ? { maxConcurrency } : {}) },
    })),
  );
  await sink.reset();
  const healthyLanes = lanes.filter((lane) => !deadLanes.includes(lane));
  const start = performance.now();
  const cpuAtStart = process.cpuUsage();
  for (let from = 0; from < count; from += 100) {
    const batch = [];
    const acceptedAt = Date.now();
    for (const lane of lanes) {
      for (let i = from; i < Math.min(count, from + 100); i += 1) {
        const event = makeEvent(i, lane);
        event.properties.acceptedAt = acceptedAt;
        batch.push({ messageId: event.messageId, sourceId: 'web', body: JSON.stringify(event), identityKeys: [], connectionIds: [lane] });
      }
    }
    await runtime.accept(batch);
    if (from % 1000 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  await sink.waitForCount(count * healthyLanes.length);
  const seconds = (performance.now() - start) / 1000;
  const cpuMsPerEvent = cpuMs(cpuAtStart) / (count * lanes.length);
  const { latencies, perPath } = await sink.stats();
  await runtime.stop();
  await queue.close();
  rmSync(dir, { recursive: true, force: true });
  const healthyDelivered = healthyLanes.reduce((sum, lane) => sum + (perPath[lane] ?? 0), 0);
  return {
    eventsPerSecond: healthyDelivered / seconds,
    cpuMsPerEvent,
    cpuMsPerDelivered: (cpuMsPerEvent * count * lanes.length) / healthyDelivered,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}

/** Per-event requests to a sink that answers in 5 ms (a vendor API's latency), against maxConcurrency × naive. */
async function perEventAgainstSlowSink(print, events) {
  const delayMs = 5;
  const maxConcurrency = 8;
  const sink = await startSinkProcess({ delayMs });
  try {
    const naive = await naiveBaseline(sink, Math.min(events, 1_000));
    print(`  naive baseline against a sink answering in ${delayMs} ms: ${fmt(naive.eventsPerSecond)} events/s, ${cpu(naive)}  [1.00x]`);
    const run = await runtimeRun(sink, Math.min(events, 10_000), ['a'], { maxConcurrency });
    const ratio = run.eventsPerSecond / naive.eventsPerSecond;
    print(
      `  runtime, one request per event, maxConcurrency ${maxConcurrency}: ${fmt(run.eventsPerSecond)} events/s ` +
        `(${ratio.toFixed(2)}x naive = ${(ratio / maxConcurrency).toFixed(2)} × maxConcurrency × naive), ${cpu(run)}, p50 ${run.p50} ms, p99 ${run.p99} ms`,
    );
  } finally {
    await sink.stop();
  }
}

/** Milliseconds of CPU this process (main thread and workers) spent since `since`. */
const cpuMs = (since) => {
  const { user, system } = process.cpuUsage(since);
  return (user + system) / 1000;
};
const cpu = (run) => `${run.cpuMsPerEvent.toFixed(2)} ms CPU per event`;

const fmt = (n) => Math.round(n).toLocaleString('en-US');

export async function runRuntimeBench({ events = 20_000 } = {}) {
  const sink = await startSinkProcess();
  const lines = [];
  const print = (line) => {
    lines.push(line);
    console.log(line);
  };
  try {
    print(`runtime benchmark: ${events} events per run, node ${process.version}`);
    const naive = await naiveBaseline(sink, Math.min(events, 10_000));
    print(`  naive baseline (main thread, one POST at a time): ${fmt(naive.eventsPerSecond)} events/s, p50 ${naive.p50} ms, p99 ${naive.p99} ms  [1.00x]`);
    const single = await runtimeRun(sink, events, ['a']);
    print(
      `  runtime, one request per event:    ${fmt(single.eventsPerSecond)} events/s (${(single.eventsPerSecond / naive.eventsPerSecond).toFixed(2)}x naive), p50 ${single.p50} ms, p99 ${single.p99} ms`,
    );
    const batched = await runtimeRun(sink, events, ['a'], { batching: true });
    print(
      `  runtime, {"batch":[…]} requests:  ${fmt(batched.eventsPerSecond)} events/s (${(batched.eventsPerSecond / naive.eventsPerSecond).toFixed(2)}x naive), p50 ${batched.p50} ms, p99 ${batched.p99} ms`,
    );
    const third = Math.floor(events / 3);
    const healthy = await runtimeRun(sink, third, ['a', 'b', 'c']);
    print(
      `  three healthy connections:        ${fmt(healthy.eventsPerSecond)} events/s delivered, ${healthy.cpuMsPerDelivered.toFixed(2)} ms CPU per delivered event  [1.00x]`,
    );
    const oneDead = await runtimeRun(sink, third, ['a', 'b', 'c'], { deadLanes: ['c'] });
    print(
      `  one of three refusing connections: ${fmt(oneDead.eventsPerSecond)} events/s delivered by the two healthy ones ` +
        `(${(oneDead.eventsPerSecond / healthy.eventsPerSecond).toFixed(2)}x the all-healthy run; per connection ` +
        `${(oneDead.eventsPerSecond / 2 / (healthy.eventsPerSecond / 3)).toFixed(2)}x); ${oneDead.cpuMsPerDelivered.toFixed(2)} ms CPU per delivered event ` +
        `(${(oneDead.cpuMsPerDelivered / healthy.cpuMsPerDelivered).toFixed(2)}x the all-healthy run's)`,
    );
  } finally {
    await sink.stop();
  }
  await perEventAgainstSlowSink(print, events);
  return { lines };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await runRuntimeBench({ events: Number(process.env.BENCH_EVENTS ?? 20_000) });
}
