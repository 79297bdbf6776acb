// End-to-end ingestion benchmark: a client process POSTs Segment batches of 100 → the real router (HTTP
// ingestion, validation, privacy gate, durable SQLite queue, delivery workers, webhook connector) → a sink
// process. Beside it, the ceiling measured in the same run: a bare fastify server that parses the same
// batches and discards them.
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import { randomUUID } from 'node:crypto';
import { removeNatsQueue, Router, silentLogger } from '@switchyard/core';
import { percentile, startSinkProcess } from './sink-client.mjs';

const CONCURRENCY = 8;
const NATS = process.env.SWITCHYARD_TEST_NATS ?? 'nats://127.0.0.1:4222';

/** Runs ingest-client.mjs in its own process against `url`; `extra` adds its options (users, withAnonymousId). */
export function runClient(url, events, runId, extra = {}) {
  const child = fork(fileURLToPath(new URL('./ingest-client.mjs', import.meta.url)), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('message', (result) => {
      child.kill();
      if (result.ok) resolve(result);
      else reject(new Error(result.error));
    });
    child.send({ url, writeKey: 'wk_bench', events, concurrency: CONCURRENCY, runId, ...extra });
  });
}

async function ceiling(events) {
  const app = Fastify({ bodyLimit: 8 * 1024 * 1024 });
  app.post('/v1/batch', async (request) => {
    if (!Array.isArray(request.body?.batch)) throw new Error('no batch');
    return { success: true };
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const result = await runClient(`${url}/v1/batch`, events, `ceiling-${Date.now()}`);
  await app.close();
  return { eventsPerSecond: events / result.seconds, p99: percentile(result.latencies, 99) };
}

/** In flight at once when the client paces its requests: enough that pacing, not the client, sets the rate. */
const PACED_CONCURRENCY = 64;

/** `queue` of the router's config: the embedded SQLite queue unless told otherwise; `ratePerSecond` paces the client. */
async function throughRouter(events, sink, queue = { type: 'sqlite' }, ratePerSecond = undefined) {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-ingest-bench-'));
  const configFile = join(dir, 'switchyard.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      storage: { dir: './storage' },
      queue,
      sources: [{ id: 'web', type: 'segment', writeKey: 'wk_bench' }],
      connections: [{ id: 'hook', connector: 'webhook', settings: { url: sink.url, batching: true } }],
    }),
  );
  const router = await Router.start({ configFile, log: silentLogger, port: 0, watchConfig: false });
  await sink.reset();
  try {
    const start = performance.now();
    const paced = ratePerSecond ? { ratePerSecond, concurrency: PACED_CONCURRENCY } : {};
    const result = await runClient(`${router.url}/v1/batch`, events, `router-${Date.now()}`, paced);
    await sink.waitForCount(events);
    const endToEndSeconds = (performance.now() - start) / 1000;
    const { latencies } = await sink.stats();
    return {
      ackEventsPerSecond: events / result.seconds,
      ackP99: percentile(result.latencies, 99),
      ackP50: percentile(result.latencies, 50),
      deliveredEventsPerSecond: events / endToEndSeconds,
      deliveryP99: percentile(latencies, 99),
    };
  } finally {
    await router.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const fmt = (n) => Math.round(n).toLocaleString('en-US');

export async function runIngestionBench({ events = 20_000 } = {}) {
  const sink = await startSinkProcess();
  try {
    console.log(`ingestion benchmark: ${events} events in batches of 100, ${CONCURRENCY} requests in flight, client in its own process`);
    const bare = await ceiling(events);
    console.log(`  ceiling (bare fastify, parse and discard): ${fmt(bare.eventsPerSecond)} events/s, p99 ack ${bare.p99.toFixed(1)} ms  [1.00x]`);
    const report = (label, routed) => {
      console.log(
        `  router on ${label}, acknowledged (validated, gated, durably queued): ${fmt(routed.ackEventsPerSecond)} events/s ` +
          `(${(routed.ackEventsPerSecond / bare.eventsPerSecond).toFixed(2)}x ceiling), p99 ack ${routed.ackP99.toFixed(1)} ms`,
      );
      console.log(
        `  router on ${label}, delivered to the sink (end to end):              ${fmt(routed.deliveredEventsPerSecond)} events/s ` +
          `(${(routed.deliveredEventsPerSecond / bare.eventsPerSecond).toFixed(2)}x ceiling), p99 accept→arrival ${routed.deliveryP99} ms`,
      );
    };
    const sqlite = await throughRouter(events, sink);
    report('SQLite', sqlite);
    // The latency a router answers with when it is not saturated: the same traffic paced at half the rate acknowledged above.
    const halfRate = sqlite.ackEventsPerSecond / 2;
    const paced = await throughRouter(events, sink, { type: 'sqlite' }, halfRate);
    console.log(
      `  router on SQLite, paced at half that rate (${fmt(halfRate)} events/s): p99 ack ${paced.ackP99.toFixed(1)} ms, ` +
        `p50 ${paced.ackP50.toFixed(1)} ms (latency from each request's due time)`,
    );
    // The same router on the NATS JetStream queue, in the same run, on a stream of its own (deleted afterwards).
    const stream = `SYBENCH_${randomUUID().slice(0, 8)}`;
    try {
      report('NATS', await throughRouter(events, sink, { type: 'nats', servers: [NATS], stream }));
    } finally {
      await removeNatsQueue([NATS], stream);
    }
  } finally {
    await sink.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await runIngestionBench({ events: Number(process.env.BENCH_EVENTS ?? 20_000) });
  process.exit(0);
}
