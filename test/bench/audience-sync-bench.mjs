// Audience sync benchmark: the backfill of a new sync over 100,000 members (profiles/s, from the reload that adds the
// sync to its backfill run finished, every delivery settled at a loopback sink in another process), beside the
// ordinary-event throughput of the same router and sink measured in the same run (events/s, acknowledgement of the
// first batch to the last event at the sink). BENCH_SYNC_PROFILES sets the number of members.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Router, silentLogger } from '@switchyard/core';
import { runClient } from './ingestion-bench.mjs';
import { startSinkProcess } from './sink-client.mjs';

const TOKEN = 'bench-admin-token-0000002';
const VIEWERS = { key: 'viewers', rule: { event: 'Product Viewed', gte: 1 } };

function writeConfig(configFile, sinkUrl, syncs) {
  writeFileSync(
    configFile,
    JSON.stringify({
      storage: { dir: './storage' },
      admin: { tokens: [TOKEN] },
      sources: [{ id: 'web', type: 'segment', writeKey: 'wk_bench' }],
      connections: [
        { id: 'hook', connector: 'webhook', settings: { url: `${sinkUrl}/events`, batching: true } },
        { id: 'lists', connector: 'webhook', settings: { url: `${sinkUrl}/lists`, batching: true } },
      ],
      audiences: [{ ...VIEWERS, ...(syncs ? { syncs } : {}) }],
    }),
  );
}

async function until(check, what, timeoutMs = 600_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const fmt = (n) => Math.round(n).toLocaleString('en-US');

export async function runAudienceSyncBench({ profiles = Number(process.env.BENCH_SYNC_PROFILES ?? 100_000) } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-sync-bench-'));
  const configFile = join(dir, 'switchyard.json');
  const sink = await startSinkProcess();
  writeConfig(configFile, sink.url);
  const router = await Router.start({ configFile, log: silentLogger, port: 0, watchConfig: false });
  const admin = async (path) => (await fetch(`${router.url}/admin/v1${path}`, { headers: { authorization: `Bearer ${TOKEN}` } })).json();
  try {
    // One event per person: `profiles` people, each a member of `viewers`, and as many ordinary deliveries.
    const start = performance.now();
    await runClient(`${router.url}/v1/batch`, profiles, `sync-bench-${Date.now()}`, { users: profiles });
    await sink.waitForCount(profiles);
    const eventsPerSecond = profiles / ((performance.now() - start) / 1000);
    await router.audiences.idle();
    await until(async () => (await admin('/audiences/viewers')).audience.members === profiles, `${profiles} members`);

    writeConfig(configFile, sink.url, [{ connection: 'lists' }]);
    const began = performance.now();
    const reloaded = await router.reload();
    if (!reloaded.ok) throw new Error(reloaded.error);
    let run;
    let queuedSeconds;
    await until(async () => {
      const { sync } = await admin('/audience-syncs/viewers/lists');
      if (queuedSeconds === undefined && (sync.lastRun || (sync.current && sync.current.processed >= profiles)))
        queuedSeconds = (performance.now() - began) / 1000;
      run = sync.lastRun;
      return run?.kind === 'backfill';
    }, 'the backfill to finish');
    const seconds = (performance.now() - began) / 1000;
    if (run.status !== 'succeeded' || run.added !== profiles)
      throw new Error(`the backfill ended ${JSON.stringify({ ...run, errors: run.errors.slice(0, 3) })}`);
    const profilesPerSecond = profiles / seconds;
    console.log(
      `audience sync benchmark (${fmt(profiles)} members, webhook destination in another process): ` +
        `ordinary events ${fmt(eventsPerSecond)} events/s [1.00x], backfill ${fmt(profilesPerSecond)} profiles/s ` +
        `[${(profilesPerSecond / eventsPerSecond).toFixed(2)}x] (${seconds.toFixed(1)} s to the run's end, every add delivered; all queued after ${queuedSeconds.toFixed(1)} s)`,
    );
  } finally {
    await router.close();
    await sink.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await runAudienceSyncBench();
  process.exit(0);
}
