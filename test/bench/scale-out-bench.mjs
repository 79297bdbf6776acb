// Scale-out benchmark: 1, 2 and 3 `switchyard start` processes sharing one NATS JetStream queue, beside one router on
// the SQLite queue, all with their state in PostgreSQL. A client process spreads Segment batches of 100 over a
// topology's routers; a sink process takes the webhook's deliveries. The topologies run in turn within each round, so
// every ratio compares figures of the same round, and the figures printed at the end are medians over the rounds.
// Each topology has a stream and a schema of its own, removed afterwards.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { removeNatsQueue } from '@switchyard/core';
import { runClient } from './ingestion-bench.mjs';
import { percentile, startSinkProcess } from './sink-client.mjs';
import { startRouterProcess } from './router-process.mjs';
import { CORES, machineBusySeconds, pidsNamed, processCpuSeconds } from './process-cpu.mjs';

const NATS = process.env.SWITCHYARD_TEST_NATS ?? 'nats://127.0.0.1:4222';
const PG_URL = process.env.SWITCHYARD_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const ROUNDS = Number(process.env.BENCH_SCALE_ROUNDS ?? 3);
const WARMUP_EVENTS = 2_000;

const TOPOLOGIES = [
  { name: 'SQLite×1', routers: 1, queue: 'sqlite' },
  { name: 'NATS×1', routers: 1, queue: 'nats' },
  { name: 'NATS×2', routers: 2, queue: 'nats' },
  { name: 'NATS×3', routers: 3, queue: 'nats' },
];

/** A topology's routers, on a stream and schema of their own; `start()` starts them, `remove()` removes it all. */
function topologyOf(topology, sinkUrl, runId) {
  const tag = `${runId}_${topology.queue}${topology.routers}`;
  const stream = topology.queue === 'nats' ? `SYBENCH_${tag}` : undefined;
  const schema = `sybench_${tag}`.toLowerCase();
  const dirs = [];
  const routers = [];
  return {
    ...topology,
    routers,
    async start() {
      for (let i = 0; i < topology.routers; i += 1) {
        const dir = mkdtempSync(join(tmpdir(), 'switchyard-scale-bench-'));
        dirs.push(dir);
        writeFileSync(
          join(dir, 'switchyard.json'),
          JSON.stringify({
            storage: { dir: './storage' },
            queue: stream ? { type: 'nats', servers: [NATS], stream } : { type: 'sqlite' },
            state: { type: 'postgres', url: PG_URL, schema },
            sources: [{ id: 'web', type: 'segment', writeKey: 'wk_bench' }],
            connections: [{ id: 'hook', connector: 'webhook', settings: { url: sinkUrl, batching: true } }],
          }),
        );
        // One at a time: concurrent starts take turns on the schema anyway.
        routers.push(await startRouterProcess(join(dir, 'switchyard.json'), dir));
      }
    },
    async remove(db) {
      await Promise.all(routers.map((r) => r.stop()));
      if (stream) await removeNatsQueue([NATS], stream);
      await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** CPU seconds so far of the routers, the NATS server and every PostgreSQL process, and of the machine. */
function cpuSnapshot(routers) {
  const postgres = new Map(pidsNamed('postgres').map((pid) => [pid, processCpuSeconds(pid)]));
  return {
    routers: routers.map((r) => processCpuSeconds(r.pid)),
    nats: pidsNamed('nats-server').reduce((sum, pid) => sum + processCpuSeconds(pid), 0),
    postgres,
    machine: machineBusySeconds(),
  };
}

function cpuSince(before, routers) {
  const after = cpuSnapshot(routers);
  let postgres = 0;
  // Backends started during the run count whole; ones that ended meanwhile are missed (short-lived, little CPU).
  for (const [pid, seconds] of after.postgres) postgres += seconds - (before.postgres.get(pid) ?? 0);
  return {
    routers: after.routers.map((s, i) => s - before.routers[i]),
    nats: after.nats - before.nats,
    postgres,
    machine: after.machine - before.machine,
  };
}

/** Sends `events` through the topology's routers and waits until the sink has every one of them. */
async function measure(topology, sink, events, runId) {
  await sink.reset();
  const before = cpuSnapshot(topology.routers);
  const start = performance.now();
  const client = await runClient(topology.routers[0].url + '/v1/batch', events, `${runId}-${topology.queue}${topology.routers.length}`, {
    urls: topology.routers.map((r) => `${r.url}/v1/batch`),
  });
  await sink.waitForCount(events, 300_000, { distinct: true });
  const seconds = (performance.now() - start) / 1000;
  const cpu = cpuSince(before, topology.routers);
  const stats = await sink.stats();
  const routerCpu = cpu.routers.reduce((a, b) => a + b, 0);
  return {
    ack: events / client.seconds,
    ackP50: percentile(client.latencies, 50),
    ackP99: percentile(client.latencies, 99),
    delivered: events / seconds,
    duplicates: stats.count - events,
    maxGapMs: stats.maxGapMs,
    seconds,
    cpu: {
      routers: routerCpu,
      perRouter: cpu.routers,
      client: client.cpuSeconds,
      sink: stats.cpuSeconds,
      nats: cpu.nats,
      postgres: cpu.postgres,
      all: routerCpu + client.cpuSeconds + stats.cpuSeconds + cpu.nats + cpu.postgres,
      machine: cpu.machine,
    },
  };
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const fmt = (n) => Math.round(n).toLocaleString('en-US');
const x = (n) => `${n.toFixed(2)}x`;

export async function runScaleOutBench({ events = 20_000, rounds = ROUNDS } = {}) {
  const runId = randomUUID().slice(0, 8);
  const db = new pg.Pool({ connectionString: PG_URL, max: TOPOLOGIES.length });
  const sink = await startSinkProcess();
  const topologies = [];
  try {
    console.log(
      `scale-out benchmark: ${events} events per run in batches of 100, 8 requests in flight spread over the routers, ` +
        `${rounds} rounds; client, sink and each router in processes of their own; state in PostgreSQL; ${CORES} cores`,
    );
    topologies.push(...TOPOLOGIES.map((topology) => topologyOf(topology, sink.url, runId)));
    await Promise.all(topologies.map((topology) => topology.start()));
    for (const topology of topologies) await measure(topology, sink, WARMUP_EVENTS, `warmup-${runId}`);

    const results = Object.fromEntries(TOPOLOGIES.map((t) => [t.name, []]));
    for (let round = 0; round < rounds; round += 1) {
      // Rotated, so no topology always runs first (or right after the heaviest one).
      const order = topologies.map((_, i) => topologies[(i + round) % topologies.length]);
      const line = [];
      for (const topology of order) {
        const result = await measure(topology, sink, events, `r${round}-${runId}`);
        results[topology.name].push(result);
        line.push(`${topology.name} ${fmt(result.ack)}/${fmt(result.delivered)}${result.maxGapMs > 5000 ? ` (paused ${fmt(result.maxGapMs)} ms)` : ''}`);
      }
      console.log(`  round ${round + 1} (acknowledged/delivered events/s): ${line.join(', ')}`);
    }

    const ratio = (name, base, field) => median(results[name].map((r, i) => r[field] / results[base][i][field]));
    const sqlite = 'SQLite×1';
    const nats1 = 'NATS×1';
    console.log(`  medians of ${rounds} rounds; ratios are medians of same-round ratios:`);
    for (const { name, routers } of TOPOLOGIES) {
      const rs = results[name];
      const m = (f) => median(rs.map(f));
      let versus = '';
      if (name === nats1) versus = `  [${x(ratio(name, sqlite, 'ack'))} / ${x(ratio(name, sqlite, 'delivered'))} of SQLite×1]`;
      else if (name !== sqlite) {
        const ack = ratio(name, nats1, 'ack');
        const delivered = ratio(name, nats1, 'delivered');
        versus = `  [${x(ack)} / ${x(delivered)} of NATS×1; per router ${x(ack / routers)} / ${x(delivered / routers)}]`;
      }
      console.log(
        `  ${name.padEnd(8)} acknowledged ${fmt(m((r) => r.ack)).padStart(6)} events/s (p50 ${m((r) => r.ackP50).toFixed(0)} ms, ` +
          `p99 ${m((r) => r.ackP99).toFixed(0)} ms per 100-event request), delivered ${fmt(m((r) => r.delivered)).padStart(6)} events/s${versus}`,
      );
    }
    console.log(
      '  CPU seconds per run (medians): routers (each) | client | sink | NATS server | PostgreSQL (every backend) | ' +
        'the rest of the machine (other work) | cores × wall time',
    );
    for (const { name } of TOPOLOGIES) {
      const rs = results[name];
      const m = (f) => median(rs.map(f));
      const each = rs[0].cpu.perRouter.map((_, i) => m((r) => r.cpu.perRouter[i]).toFixed(1)).join(' + ');
      console.log(
        `  ${name.padEnd(8)} ${m((r) => r.cpu.routers).toFixed(1)} (${each}) | ${m((r) => r.cpu.client).toFixed(1)} | ${m((r) => r.cpu.sink).toFixed(1)} | ` +
          `${m((r) => r.cpu.nats).toFixed(1)} | ${m((r) => r.cpu.postgres).toFixed(1)} | ${m((r) => Math.max(0, r.cpu.machine - r.cpu.all)).toFixed(1)} | ` +
          `${(m((r) => r.seconds) * CORES).toFixed(1)}; delivered events per router CPU-second ${fmt(m((r) => events / r.cpu.routers))}, ` +
          `per CPU-second of all these processes ${fmt(m((r) => events / r.cpu.all))}` +
          `${rs.some((r) => r.duplicates > 0) ? `; duplicates delivered: ${rs.map((r) => r.duplicates).join(', ')}` : ''}`,
      );
    }
    return results;
  } finally {
    const cleanupStart = performance.now();
    await Promise.all(topologies.map((topology) => topology.remove(db)));
    console.log(`  (routers stopped, streams and schemas removed in ${((performance.now() - cleanupStart) / 1000).toFixed(1)} s)`);
    await sink.stop();
    await db.end();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await runScaleOutBench({ events: Number(process.env.BENCH_EVENTS ?? 20_000) });
  process.exit(0);
}
