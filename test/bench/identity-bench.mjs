// Identity resolution benchmark: ingestion with resolution on and off, alternating, over one storage dir whose
// identity graph already holds 1M identifiers (user id, anonymous id and email of 333,334 people). The client
// sends events (user id + anonymous id each) in batches of 100: first repeat traffic (people seen before, ten events
// each; the router ingests the same traffic once untimed, as a running router has), then people each seen once by
// that router run (every event misses the graph's memory and reads the store).
import { fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runClient } from './ingestion-bench.mjs';
import { Router, SqliteIdentityStore, emptyChange, identityKey, newProfileId, silentLogger } from '@switchyard/core';

const IDENTIFIERS = Number(process.env.BENCH_IDENTIFIERS ?? 1_000_000);
const CONCURRENCY = 8;

/** Writes the people straight into the graph's store, 10,000 per transaction. */
export async function populate(storageDir) {
  mkdirSync(storageDir, { recursive: true });
  const store = new SqliteIdentityStore(join(storageDir, 'identity.db'));
  const people = Math.ceil(IDENTIFIERS / 3);
  const at = Date.now() - 3600_000;
  for (let from = 0; from < people; from += 10_000) {
    const change = emptyChange();
    for (let i = from; i < Math.min(people, from + 10_000); i += 1) {
      const id = newProfileId();
      change.create.push({ id, createdAt: at });
      for (const [type, value] of [
        ['user_id', `user-${i}`],
        ['anonymous_id', `anon-${i}`],
        ['email', `person-${i}@example.com`],
      ]) {
        change.link.push({ profileId: id, identifier: { type, value, key: identityKey(type, value), linkedAt: at } });
      }
    }
    await store.apply(change);
  }
  const count = await store.countIdentifiers();
  await store.close();
  return count;
}

function runRequests(url, kind, requests, people) {
  const child = fork(fileURLToPath(new URL('./request-client.mjs', import.meta.url)), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('message', (result) => {
      child.kill();
      if (result.ok) resolve(requests / result.seconds);
      else reject(new Error(result.error));
    });
    child.send({ url, kind, requests, concurrency: CONCURRENCY, people });
  });
}

/** IDSync identify requests/s beside single-event Segment tracks/s, on one router over the populated graph. */
async function idsync(storageDir, configDir, requests) {
  const configFile = join(configDir, 'switchyard-idsync.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      storage: { dir: storageDir },
      sources: [
        { id: 'web', type: 'segment', writeKey: 'wk_bench' },
        { id: 'app', type: 'mparticle', apiKey: 'mp_bench', apiSecret: 'mp_secret' },
      ],
      connections: [],
    }),
  );
  const router = await Router.start({ configFile, log: silentLogger, port: 0, watchConfig: false });
  try {
    const people = Math.max(1, Math.floor(requests / 10));
    const tracks = [];
    const identifies = [];
    for (let round = 0; round < 3; round += 1) {
      tracks.push(await runRequests(`${router.url}/v1/track`, 'track', requests, people));
      identifies.push(await runRequests(`${router.url}/identity/v1/identify`, 'idsync', requests, people));
    }
    return { track: median(tracks), identify: median(identifies) };
  } finally {
    await router.close();
  }
}

async function ingest(storageDir, configDir, enabled, events, users, warmUp) {
  const configFile = join(configDir, `switchyard-${enabled ? 'on' : 'off'}.json`);
  writeFileSync(
    configFile,
    JSON.stringify({
      storage: { dir: storageDir },
      identity: { enabled },
      sources: [{ id: 'web', type: 'segment', writeKey: 'wk_bench' }],
      connections: [],
    }),
  );
  const router = await Router.start({ configFile, log: silentLogger, port: 0, watchConfig: false });
  try {
    if (warmUp) await runClient(`${router.url}/v1/batch`, events, `warm-${enabled}-${Date.now()}-${Math.random()}`, { users, withAnonymousId: true });
    const result = await runClient(`${router.url}/v1/batch`, events, `identity-${enabled}-${Date.now()}-${Math.random()}`, { users, withAnonymousId: true });
    return events / result.seconds;
  } finally {
    await router.close();
  }
}

const fmt = (n) => Math.round(n).toLocaleString('en-US');
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

export async function runIdentityBench({ events = 20_000 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-identity-bench-'));
  const storageDir = join(dir, 'storage');
  try {
    const t0 = performance.now();
    const count = await populate(storageDir);
    console.log(
      `identity benchmark: ${fmt(count)} identifiers in the graph (written in ${((performance.now() - t0) / 1000).toFixed(1)} s); ${events} events per run`,
    );
    for (const [label, users, warmUp] of [
      [`repeat traffic (${fmt(Math.floor(events / 10))} people x10, seen before)`, Math.max(1, Math.floor(events / 10)), true],
      ['every person first seen in the run', events, false],
    ]) {
      const off = [];
      const on = [];
      for (let round = 0; round < 3; round += 1) {
        off.push(await ingest(storageDir, dir, false, events, users, warmUp));
        on.push(await ingest(storageDir, dir, true, events, users, warmUp));
      }
      const [offRate, onRate] = [median(off), median(on)];
      console.log(
        `  ${label}: resolution off ${fmt(offRate)} events/s [1.00x], on ${fmt(onRate)} events/s [${(onRate / offRate).toFixed(2)}x] (medians of 3, alternating)`,
      );
    }
    const requests = Math.max(1000, Math.floor(events / 4));
    const rates = await idsync(storageDir, dir, requests);
    console.log(
      `  IDSync identify (email + device of known people, ${fmt(requests)} requests, ${CONCURRENCY} in flight): ${fmt(rates.identify)} requests/s ` +
        `[${(rates.identify / rates.track).toFixed(2)}x single-event /v1/track: ${fmt(rates.track)} requests/s]`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await runIdentityBench({ events: Number(process.env.BENCH_EVENTS ?? 20_000) });
  process.exit(0);
}
