/** `switchyard replay FILE`: re-ingests a JSON Lines archive of canonical events through a running router's Segment API. */
import { createReadStream, existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '@switchyard/core';
import { reachRouter } from './admin-client.js';
import { CONNECTOR_DIRS } from './connector-dirs.js';
import { terminalProgressBar } from './progress-bar.js';

export interface ReplayOptions {
  url: string;
  source: string;
  writeKey?: string;
  config?: string;
  rate?: number;
  quiet?: boolean;
  json?: boolean;
}

interface Line {
  line: number;
  message: Record<string, unknown>;
}

interface Skipped {
  line: number;
  reason: string;
}

const BATCH_SIZE = 100;
const RETRIES = 3;
/** The Segment message fields a canonical event carries; the rest (identities, profileId, receivedAt…) the router derives again. */
const SEGMENT_FIELDS = [
  'type',
  'event',
  'name',
  'userId',
  'anonymousId',
  'groupId',
  'previousId',
  'messageId',
  'properties',
  'traits',
  'context',
  'integrations',
  'timestamp',
  'originalTimestamp',
];

export async function runReplay(file: string, options: ReplayOptions): Promise<void> {
  if (!existsSync(file)) throw new Error(`${file} does not exist: name a JSON Lines archive, e.g. one the file connector wrote`);
  const writeKey = options.writeKey ?? (await writeKeyFromConfig(options));
  const authorization = `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`;
  const batchSize = options.rate ? Math.max(1, Math.min(BATCH_SIZE, Math.floor(options.rate))) : BATCH_SIZE;
  const bar = options.quiet || options.json ? undefined : terminalProgressBar('replay [{bar}] {value}/{total} lines | {sent} sent | {eta_formatted} left');
  bar?.start(await countLines(file), 0, { sent: 0 });

  const started = Date.now();
  const malformed: Skipped[] = [];
  const rejected: Skipped[] = [];
  let sent = 0;
  let read = 0;
  let batch: Line[] = [];

  const flush = async () => {
    if (batch.length === 0) return;
    if (options.rate) {
      // At most `rate` events per second since the start: wait until this batch fits.
      const due = started + ((sent + rejected.length + batch.length) / options.rate) * 1000;
      if (due > Date.now()) await sleep(due - Date.now());
    }
    const result = await sendBatch(batch, options, authorization);
    sent += result.sent;
    rejected.push(...result.rejected);
    batch = [];
    bar?.update(read, { sent });
  };

  try {
    const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Number.POSITIVE_INFINITY });
    let number = 0;
    for await (const text of lines) {
      number += 1;
      read = number;
      if (!text.trim()) continue;
      const parsed = toSegmentMessage(text);
      if ('reason' in parsed) malformed.push({ line: number, reason: parsed.reason });
      else batch.push({ line: number, message: parsed.message });
      if (batch.length >= batchSize) await flush();
    }
    await flush();
  } finally {
    bar?.stop();
  }

  const elapsed = (Date.now() - started) / 1000;
  const summary = { sent, rejected, malformed, elapsedSeconds: elapsed };
  if (options.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  else {
    const lines = [`sent ${sent}, rejected ${rejected.length}, malformed ${malformed.length} (skipped), in ${elapsed.toFixed(1)} s`];
    for (const m of malformed) lines.push(`  line ${m.line}: malformed, skipped: ${m.reason}`);
    for (const r of rejected) lines.push(`  line ${r.line}: rejected by the router: ${r.reason}`);
    if (malformed.length || rejected.length) lines.push('fix those lines and replay a file holding only them');
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  if (malformed.length || rejected.length) process.exitCode = 1;
}

async function writeKeyFromConfig(options: ReplayOptions): Promise<string> {
  if (!options.config) throw new Error(`no write key: pass --write-key <key>, or --config <file> to read source ${options.source}'s writeKey from it`);
  const config = await loadConfig(options.config, process.env, { connectorDirs: CONNECTOR_DIRS });
  const source = config.sources.find((s) => s.id === options.source);
  if (!source) {
    throw new Error(`${options.config} has no source ${options.source}; its sources are: ${config.sources.map((s) => s.id).join(', ') || 'none'}`);
  }
  if (source.type !== 'segment' || !('writeKey' in source)) {
    throw new Error(`source ${options.source} is a ${source.type} source; replay sends through the Segment API, so pass a segment source with --source`);
  }
  return source.writeKey;
}

/** One archive line as a Segment message, or why it cannot be one. */
function toSegmentMessage(text: string): { message: Record<string, unknown> } | { reason: string } {
  let event: unknown;
  try {
    event = JSON.parse(text);
  } catch (error) {
    return { reason: `not JSON (${(error as Error).message})` };
  }
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return { reason: 'not a JSON object (one event per line)' };
  const message = Object.fromEntries(SEGMENT_FIELDS.filter((f) => f in event).map((f) => [f, (event as Record<string, unknown>)[f]]));
  if (typeof message.type !== 'string') return { reason: 'has no "type" (track, identify, page, screen, group or alias)' };
  return { message };
}

/**
 * Sends one batch. The router refuses a whole batch when any message has a problem, naming it by `$.batch[i]`:
 * those lines are rejected with its reasons and the rest are sent again.
 */
async function sendBatch(batch: Line[], options: ReplayOptions, authorization: string): Promise<{ sent: number; rejected: Skipped[] }> {
  const rejected: Skipped[] = [];
  let pending = batch;
  while (pending.length) {
    const { status, body } = await post(pending, options, authorization);
    if (status < 300) return { sent: pending.length, rejected };
    if (status === 401 || status === 403) {
      throw new Error(
        `the router refused the write key (${status} ${body.code ?? ''}); check --write-key, or source ${options.source}'s writeKey in the config`,
      );
    }
    const byIndex = new Map<number, string[]>();
    for (const problem of body.errors ?? []) {
      const match = /^\$\.batch\[(\d+)\](.*)$/.exec(problem.path);
      if (!match) continue;
      const i = Number(match[1]);
      byIndex.set(i, [...(byIndex.get(i) ?? []), `${match[2] ? `${match[2].slice(1)}: ` : ''}${problem.message}`]);
    }
    if (byIndex.size === 0) {
      // Not a per-message problem: the whole batch is refused for the reason the router gives.
      const reason = `${status} ${body.code ?? ''} ${body.message ?? ''} ${(body.errors ?? []).map((e) => `${e.path}: ${e.message}`).join('; ')}`.trim();
      return { sent: 0, rejected: [...rejected, ...pending.map((l) => ({ line: l.line, reason }))] };
    }
    rejected.push(...[...byIndex].map(([i, reasons]) => ({ line: pending[i]!.line, reason: reasons.join('; ') })));
    pending = pending.filter((_, i) => !byIndex.has(i));
  }
  return { sent: 0, rejected };
}

interface SegmentAnswer {
  code?: string;
  message?: string;
  errors?: Array<{ path: string; message: string }>;
}

/** POSTs to /v1/batch, trying again a few times while the router is overloaded or restarting. */
async function post(batch: Line[], options: ReplayOptions, authorization: string): Promise<{ status: number; body: SegmentAnswer }> {
  for (let attempt = 1; ; attempt += 1) {
    const response = await reachRouter(options.url, '/v1/batch', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization },
      body: JSON.stringify({ batch: batch.map((l) => l.message) }),
    });
    const text = await response.text();
    if ((response.status === 429 || response.status >= 500) && attempt <= RETRIES) {
      await sleep(500 * 2 ** attempt);
      continue;
    }
    if (response.status === 429 || response.status >= 500) {
      throw new Error(
        `the router answered ${response.status} to the batch starting at line ${batch[0]!.line} after ${RETRIES + 1} tries (${text.slice(0, 200)}); lines before it were sent: replay the rest once it recovers`,
      );
    }
    try {
      return { status: response.status, body: (text ? JSON.parse(text) : {}) as SegmentAnswer };
    } catch {
      return { status: response.status, body: { message: text.slice(0, 200) } };
    }
  }
}

async function countLines(file: string): Promise<number> {
  let count = 0;
  for await (const _ of createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Number.POSITIVE_INFINITY })) count += 1;
  return count;
}
