import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

/** A `switchyard start` process on the NATS queue, with one webhook connection `hook` to `hookUrl`. */
export async function startNatsRouter(options: {
  stream: string;
  hookUrl: string;
  servers?: string[];
  ackWaitMs?: number;
  delivery?: Record<string, unknown>;
  /** Webhook settings besides its url (`batching: true` sends {"batch":[…]} bodies). */
  settings?: Record<string, unknown>;
}): Promise<CliRouter & { dir: string; remove: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-nats-'));
  const config = {
    storage: { dir: './data' },
    queue: { type: 'nats', servers: options.servers ?? [TEST_NATS], stream: options.stream, ...(options.ackWaitMs ? { ackWaitMs: options.ackWaitMs } : {}) },
    admin: { tokens: [ADMIN_TOKEN] },
    sources: [{ id: 'web', type: 'segment', writeKey: WRITE_KEY }],
    connections: [
      {
        id: 'hook',
        connector: 'webhook',
        settings: { url: options.hookUrl, ...options.settings },
        ...(options.delivery ? { delivery: options.delivery } : {}),
      },
    ],
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
