/** `switchyard audiences status [audience] [connection]`: the audience syncs of a running router, or one with its runs. */
import { formatTable, printJson, type AdminOptions } from './admin-client.js';
import { listSyncs, progressText, readSync, shortTime, syncName } from './audience-sync-api.js';
import type { SyncRun, SyncStatus } from '@switchyard/core';

export interface AudienceStatusOptions extends AdminOptions {
  runs?: number;
}

/** Error samples printed per run; `--json` has all of them. */
const SAMPLES_PER_RUN = 3;
const DEFAULT_RUNS = 20;

const modeText = (sync: SyncStatus) => (sync.mode === 'mirror' && sync.every ? `mirror every ${sync.every}` : sync.mode);

const stateText = (sync: SyncStatus) => (sync.current ? `${sync.state} ${progressText(sync.current)}` : sync.state);

const counts = (run: SyncRun | null) => (run ? [String(run.added), String(run.removed), String(run.unmatched), String(run.failed)] : ['-', '-', '-', '-']);

export async function runAudiencesStatus(audience: string | undefined, connection: string | undefined, options: AudienceStatusOptions): Promise<void> {
  if (audience !== undefined && connection !== undefined) return printOne(audience, connection, options);
  const all = await listSyncs(options);
  const syncs = audience === undefined ? all : all.filter((s) => s.audience === audience);
  if (options.json) return printJson(syncs);
  if (syncs.length === 0) {
    if (audience === undefined) return void process.stdout.write('no audience syncs: add one under an audience\'s "syncs" in the config\n');
    const audiences = [...new Set(all.map((s) => s.audience))].sort();
    throw new Error(`audience ${audience} has no syncs; the audiences with syncs are: ${audiences.join(', ') || 'none'}`);
  }
  const rows = syncs.map((s) => [
    s.audience,
    s.connection,
    modeText(s),
    stateText(s),
    String(s.members),
    s.lastRun ? `${s.lastRun.kind} ${s.lastRun.status}` : '-',
    ...counts(s.lastRun),
    shortTime(s.lastRun?.finishedAt),
  ]);
  const header = ['AUDIENCE', 'CONNECTION', 'MODE', 'STATE', 'MEMBERS', 'LAST RUN', 'ADDED', 'REMOVED', 'UNMATCHED', 'FAILED', 'FINISHED'];
  process.stdout.write(`${formatTable(header, rows)}\n`);
}

async function printOne(audience: string, connection: string, options: AudienceStatusOptions): Promise<void> {
  const { sync, runs } = await readSync(options, audience, connection);
  if (options.json) return printJson({ sync, runs });
  const limit = options.runs ?? DEFAULT_RUNS;
  const shown = runs.slice(0, limit);
  const lines = [
    `sync      ${syncName(sync.audience, sync.connection)}`,
    `mode      ${modeText(sync)} (as ${sync.as})`,
    `state     ${stateText(sync)}`,
    `members   ${sync.members}`,
    '',
  ];
  if (shown.length === 0) lines.push('no runs yet');
  else {
    const rows = shown.map((r) => [
      r.id,
      r.kind,
      r.status,
      shortTime(r.startedAt),
      shortTime(r.finishedAt),
      r.total === null ? `${r.processed}` : `${r.processed}/${r.total}`,
      ...counts(r),
    ]);
    lines.push(formatTable(['RUN', 'KIND', 'STATUS', 'STARTED', 'FINISHED', 'PROCESSED', 'ADDED', 'REMOVED', 'UNMATCHED', 'FAILED'], rows));
    if (runs.length > shown.length) lines.push(`(${runs.length - shown.length} older runs: pass --runs ${runs.length})`);
  }
  for (const run of shown.filter((r) => r.errors.length)) {
    lines.push('', `errors of run ${run.id} (${run.kind}, ${shortTime(run.startedAt)}):`);
    for (const e of run.errors.slice(0, SAMPLES_PER_RUN)) lines.push(`  ${shortTime(e.at)}  ${e.code}  ${e.message}`);
    if (run.errors.length > SAMPLES_PER_RUN) lines.push(`  (${run.errors.length - SAMPLES_PER_RUN} more samples: pass --json)`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}
