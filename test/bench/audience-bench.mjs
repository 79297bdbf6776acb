// Audience benchmark: ingestion with 50 audiences defined against none, alternating on one storage dir (medians of
// 3), and the time from an event's acknowledgement to the membership change it causes, read through the admin API.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Router, silentLogger } from '@switchyard/core';
import { runClient } from './ingestion-bench.mjs';
import { percentile } from './sink-client.mjs';

const TOKEN = 'bench-admin-token-0000001';
const LATENCY_SAMPLES = 200;

/** 50 audiences of the kinds customers define: filtered event counts in a window, sums, and a trait test. */
function fiftyAudiences() {
  const audiences = [];
  for (let k = 0; k < 24; k += 1) {
    audiences.push({
      key: `viewed-sku-${k}`,
      rule: { event: 'Product Viewed', where: { field: 'properties.sku', equals: `sku-${k}` }, gte: 3, within_days: 30 },
    });
  }
  for (let k = 0; k < 24; k += 1) {
    audiences.push({ key: `spent-${k}`, rule: { event: 'Product Viewed', aggregate: 'sum', of: 'properties.price', gte: 20 * (k + 1) } });
  }
  audiences.push({ key: 'pro-plan', rule: { field: 'traits.plan', equals: 'pro' } });
  audiences.push({ key: 'ordered', rule: { event: 'Order Completed', gte: 1 } });
  return audiences;
}

async function startRouter(dir, storageDir, audiences) {
  const configFile = join(dir, `switchyard-${audiences.length}.json`);
  writeFileSync(
    configFile,
    JSON.stringify({
      storage: { dir: storageDir },
      admin: { tokens: [TOKEN] },
      sources: [{ id: 'web', type: 'segment', writeKey: 'wk_bench' }],
      connections: [],
      audiences,
    }),
  );
  return Router.start({ configFile, log: silentLogger, port: 0, watchConfig: false });
}

async function ingest(dir, storageDir, audiences, events) {
  const router = await startRouter(dir, storageDir, audiences);
  try {
    const result = await runClient(`${router.url}/v1/batch`, events, `audiences-${audiences.length}-${Date.now()}-${Math.random()}`);
    return events / result.seconds;
  } finally {
    await router.close();
  }
}

/** Per sample: a person's first order, then the admin API polled until the `ordered` audience counts them. */
async function membershipLatencies(dir, storageDir) {
  const router = await startRouter(dir, storageDir, fiftyAudiences());
  const auth = { authorization: `Bearer ${TOKEN}` };
  const members = async () => (await (await fetch(`${router.url}/admin/v1/audiences/ordered`, { headers: auth })).json()).audience.members;
  try {
    const latencies = [];
    let before = await members();
    for (let i = 0; i < LATENCY_SAMPLES; i += 1) {
      const response = await fetch(`${router.url}/v1/track`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from('wk_bench:').toString('base64')}` },
        body: JSON.stringify({ userId: `buyer-${Date.now()}-${i}`, event: 'Order Completed', properties: { total: 10 } }),
      });
      if (response.status !== 200) throw new Error(`track answered ${response.status}`);
      const acknowledged = performance.now();
      let now;
      while ((now = await members()) === before) await new Promise((resolve) => setTimeout(resolve, 1));
      latencies.push(performance.now() - acknowledged);
      before = now;
    }
    return latencies;
  } finally {
    await router.close();
  }
}

const fmt = (n) => Math.round(n).toLocaleString('en-US');
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

export async function runAudienceBench({ events = 20_000 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-audience-bench-'));
  const storageDir = join(dir, 'storage');
  try {
    const none = [];
    const fifty = [];
    for (let round = 0; round < 3; round += 1) {
      none.push(await ingest(dir, storageDir, [], events));
      fifty.push(await ingest(dir, storageDir, fiftyAudiences(), events));
    }
    const [noneRate, fiftyRate] = [median(none), median(fifty)];
    console.log(
      `audience benchmark (${events} events per run, 1,000 people): no audiences ${fmt(noneRate)} events/s [1.00x], ` +
        `50 audiences ${fmt(fiftyRate)} events/s [${(fiftyRate / noneRate).toFixed(2)}x] (medians of 3, alternating)`,
    );
    const latencies = await membershipLatencies(dir, storageDir);
    console.log(
      `  event acknowledged → membership visible in the admin API (${LATENCY_SAMPLES} people, one at a time, 50 audiences): ` +
        `p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await runAudienceBench({ events: Number(process.env.BENCH_EVENTS ?? 20_000) });
  process.exit(0);
}
