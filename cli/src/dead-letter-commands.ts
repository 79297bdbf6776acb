/** `switchyard dead-letters …`: list, replay and purge a running router's dead letters. */
import { admin, formatTable, printJson, type AdminOptions } from './admin-client.js';

interface DeadLetterView {
  id: number;
  connectionId: string;
  messageId: string;
  attempts: number;
  deadAt: number;
  error: { status: string; code?: string; message?: string; httpStatus?: number };
  event: { type?: string; event?: string };
}

export interface DeadLetterListOptions extends AdminOptions {
  connection?: string;
  limit?: number;
  after?: number;
}

export interface DeadLetterFilterOptions extends AdminOptions {
  connection?: string;
  ids?: number[];
}

/** `--ids 1,2,3` */
export function parseIds(raw: string): number[] {
  const ids = raw.split(',').map((part) => Number(part.trim()));
  if (ids.length === 0 || ids.some((id) => !Number.isInteger(id) || id < 1)) {
    throw new Error(`--ids ${raw} is not a list of dead letter ids: write them comma-separated, e.g. --ids 4,7,9 (see switchyard dead-letters list)`);
  }
  return ids;
}

export function parseCount(flag: string) {
  return (raw: string): number => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} ${raw} is not a whole number above 0`);
    return n;
  };
}

export async function runDeadLettersList(options: DeadLetterListOptions): Promise<void> {
  const query = new URLSearchParams();
  if (options.connection) query.set('connection', options.connection);
  if (options.limit) query.set('limit', String(options.limit));
  if (options.after) query.set('after', String(options.after));
  const { json } = await admin<{ deadLetters: DeadLetterView[] }>(options, 'GET', `/admin/v1/dead-letters${query.size ? `?${query}` : ''}`);
  if (options.json) return printJson(json.deadLetters);
  if (json.deadLetters.length === 0) {
    return void process.stdout.write(`no dead letters${options.connection ? ` for connection ${options.connection}` : ''}\n`);
  }
  const rows = json.deadLetters.map((d) => [
    String(d.id),
    d.connectionId,
    new Date(d.deadAt).toISOString(),
    String(d.attempts),
    [d.event.type, d.event.event].filter(Boolean).join(' '),
    d.messageId,
    [d.error.httpStatus, d.error.code, d.error.message].filter((part) => part !== undefined && part !== '').join(' ') || d.error.status,
  ]);
  process.stdout.write(`${formatTable(['ID', 'CONNECTION', 'DEAD AT', 'ATTEMPTS', 'EVENT', 'MESSAGE ID', 'ERROR'], rows)}\n`);
  const last = json.deadLetters.at(-1)!;
  if (options.limit && json.deadLetters.length === options.limit) process.stdout.write(`(more may follow: pass --after ${last.id})\n`);
}

function filterBody(options: DeadLetterFilterOptions, verb: string): { connection?: string; ids?: number[] } {
  if (!options.connection === !options.ids) throw new Error(`say which dead letters to ${verb}: pass --connection <id> or --ids 1,2 (one of them)`);
  return options.connection ? { connection: options.connection } : { ids: options.ids };
}

export async function runDeadLettersReplay(options: DeadLetterFilterOptions): Promise<void> {
  const { json } = await admin<{ replayed: number; dropped: number; skipped: number }>(options, 'POST', '/admin/v1/dead-letters/replay', {
    body: filterBody(options, 'replay'),
  });
  if (options.json) return printJson(json);
  process.stdout.write(
    `replayed ${json.replayed}, dropped ${json.dropped} (suppressed, erased or no longer consenting), skipped ${json.skipped} (their connection is not running; they stay dead letters)\n`,
  );
}

export async function runDeadLettersPurge(options: DeadLetterFilterOptions): Promise<void> {
  const { json } = await admin<{ purged: number }>(options, 'POST', '/admin/v1/dead-letters/purge', { body: filterBody(options, 'purge') });
  if (options.json) return printJson(json);
  process.stdout.write(`purged ${json.purged}\n`);
}
