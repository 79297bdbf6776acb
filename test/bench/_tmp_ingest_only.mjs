import { fork } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Router, silentLogger } from '@switchyard/core';
const dir = mkdtempSync(join(tmpdir(), 'x-'));
const configFile = join(dir, 'c.json');
writeFileSync(configFile, JSON.stringify({ storage: { dir: './s' }, sources: [{ id: 'web', type: 'segment', writeKey: 'wk_bench' }],
  connections: [{ id: 'hook', connector: 'webhook', settings: { url: 'http://127.0.0.1:1/x', batching: true }, delivery: { ratePerSecond: 0.01 } }] }));
const router = await Router.start({ configFile, log: silentLogger, port: 0, watchConfig: false });
const child = fork('/work/main/test/bench/ingest-client.mjs', [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
const r = await new Promise((res) => { child.once('message', res); child.send({ url: `${router.url}/v1/batch`, writeKey: 'wk_bench', events: Number(process.env.N ?? 20000), concurrency: 8, runId: 'x' + Date.now() }); });
console.log('ingest only', Math.round(Number(process.env.N ?? 20000) / r.seconds));
child.kill(); await router.close(); process.exit(0);
