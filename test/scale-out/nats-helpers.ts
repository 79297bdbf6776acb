import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { randomUUID } from 'node:crypto';
import { stringify } from 'yaml';
import { removeNatsQueue } from '@switchyard/core';
import { startCliRouter, type CliRouter } from '../helpers/cli-router.js';

/** The NATS with JetStream the tests use (SWITCHYARD_TEST_NATS overrides it). */
export const TEST_NATS = process.env.SWITCHYARD_TEST_NATS ?? 'nats://127.0.0.1:4222';
export const ADMIN_TOKEN = 'nats-admin-token-0001';
export const WRITE_KEY = 'wk_nats';

/** A stream name of its own per test run; `removeNatsQueue` deletes it afterwards. */
export function uniqueStream(): string {
  return `SYE2E_${process.pid}_${randomUUID().slice(0, 8)}`;
}

export type NatsRouter = CliRouter & { dir: string; remove: () => Promise<void> };

/**
 * A `switchyard start` process on the NATS queue, with one webhook connection `hook` to `hookUrl` unless
 * `connections` lists others; `state` (e.g. `{ type: 'postgres', url, schema }`) and `config` (more top-level
 * sections: `privacy`, `dsr`, …) go into its config as given.
 */
export async function startNatsRouter(options: {
  stream: string;
  hookUrl?: string;
  servers?: string[];
  ackWaitMs?: number;
  delivery?: Record<string, unknown>;
  /** Webhook settings besides its url (`batching: true` sends {"batch":[…]} bodies). */
  settings?: Record<string, unknown>;
  connections?: Array<Record<string, unknown>>;
  state?: Record<string, unknown>;
  config?: Record<string, unknown>;
}): Promise<NatsRouter> {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-nats-'));
  const hook = () => ({
    id: 'hook',
    connector: 'webhook',
    settings: { url: options.hookUrl, ...options.settings },
    ...(options.delivery ? { delivery: options.delivery } : {}),
  });
  const config = {
    storage: { dir: './data' },
    queue: { type: 'nats', servers: options.servers ?? [TEST_NATS], stream: options.stream, ...(options.ackWaitMs ? { ackWaitMs: options.ackWaitMs } : {}) },
    ...(options.state ? { state: options.state } : {}),
    admin: { tokens: [ADMIN_TOKEN] },
    sources: [{ id: 'web', type: 'segment', writeKey: WRITE_KEY }],
    connections: options.connections ?? [hook()],
    ...options.config,
  };
  writeFileSync(join(dir, 'switchyard.yaml'), stringify(config));
  const router = await startCliRouter(join(dir, 'switchyard.yaml'), { cwd: dir });
  return {
    ...router,
    dir,
    remove: async () => {
      await router.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Posts a Segment batch; resolves with the HTTP status. */
export async function sendBatch(url: string, batch: unknown[]): Promise<number> {
  const response = await fetch(`${url}/v1/batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${WRITE_KEY}:`).toString('base64')}` },
    body: JSON.stringify({ batch }),
  });
  await response.arrayBuffer();
  return response.status;
}

export function trackEvents(from: number, to: number, prefix = 'evt'): unknown[] {
  return Array.from({ length: to - from }, (_, i) => ({ type: 'track', event: 'Scaled', userId: `u-${(from + i) % 50}`, messageId: `${prefix}-${from + i}` }));
}

export async function eventually<T>(probe: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(value).slice(0, 1500)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

export { removeNatsQueue };

const BIN = join(fileURLToPath(new URL('../../', import.meta.url)), 'cli/bin/switchyard.js');
const run = promisify(execFile);

/** Runs the `switchyard` CLI; resolves with its exit code and output (a failing command too). */
export async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}
