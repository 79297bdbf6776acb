/**
 * `switchyard audiences backfill|reconcile <audience> <connection>`: starts the run on a running router and follows
 * it to the end (a progress bar on a terminal, plain lines otherwise), then prints its counts.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { printJson, type AdminOptions } from './admin-client.js';
import { countsText, progressText, readRun, shortTime, startRun, syncName } from './audience-sync-api.js';
import type { SyncRun } from '@switchyard/core';
import { terminalProgressBar } from './progress-bar.js';

export interface AudienceRunOptions extends AdminOptions {
  quiet?: boolean;
}

type RunKind = 'backfill' | 'reconcile';

const POLL_MS = 500;
/** Without a terminal, one progress line at most this often: a log of a long backfill stays readable. */
const PLAIN_LINE_EVERY_MS = 2000;
const SAMPLES = 3;

interface Reporter {
  update(run: SyncRun): void;
  stop(): void;
}

const silent: Reporter = { update: () => undefined, stop: () => undefined };

function barReporter(kind: RunKind, name: string, first: SyncRun): Reporter | undefined {
  const bar = terminalProgressBar(
    `${kind} ${name} [{bar}] {value}/{total} members | {added} added, {removed} removed, {unmatched} unmatched, {failed} failed | {eta_formatted} left`,
  );
  if (!bar) return undefined;
  const payload = (run: SyncRun) => ({ added: run.added, removed: run.removed, unmatched: run.unmatched, failed: run.failed });
  // Until the router knows how many members there are, the bar's end is what was processed so far.
  const total = (run: SyncRun) => run.total ?? run.processed;
  bar.start(total(first), first.processed, payload(first));
  return {
    update: (run) => {
      bar.setTotal(total(run));
      bar.update(run.processed, payload(run));
    },
    stop: () => bar.stop(),
  };
}

function lineReporter(kind: RunKind, name: string, first: SyncRun): Reporter {
  process.stderr.write(`${kind} of ${name} started (run ${first.id})\n`);
  let printedAt = Date.now();
  let printed = JSON.stringify(first);
  return {
    update: (run) => {
      const now = JSON.stringify(run);
      if (run.status !== 'running' || now === printed || Date.now() - printedAt < PLAIN_LINE_EVERY_MS) return;
      process.stderr.write(`${kind} of ${name}: ${progressText(run)}, ${countsText(run)}\n`);
      printed = now;
      printedAt = Date.now();
    },
    stop: () => undefined,
  };
}

export const runAudiencesBackfill = (audience: string, connection: string, options: AudienceRunOptions) =>
  startAndFollow('backfill', audience, connection, options);

export const runAudiencesReconcile = (audience: string, connection: string, options: AudienceRunOptions) =>
  startAndFollow('reconcile', audience, connection, options);

async function startAndFollow(kind: RunKind, audience: string, connection: string, options: AudienceRunOptions): Promise<void> {
  const name = syncName(audience, connection);
  const followHint = `switchyard audiences status ${audience} ${connection}`;
  let run = await startRun(options, audience, connection, kind);
  const reporter = options.json || options.quiet ? silent : (barReporter(kind, name, run) ?? lineReporter(kind, name, run));
  const interrupted = () => {
    reporter.stop();
    process.stderr.write(`stopped following; the ${kind} goes on in the router: follow it with ${followHint}\n`);
    process.exit(130);
  };
  process.once('SIGINT', interrupted);
  try {
    while (run.status === 'running') {
      await sleep(POLL_MS);
      run = await readRun(options, audience, connection, run.id);
      reporter.update(run);
    }
  } catch (error) {
    throw new Error(`${(error as Error).message} (while following the ${kind} of ${name}, which may still be running: see ${followHint})`);
  } finally {
    reporter.stop();
    process.off('SIGINT', interrupted);
  }
  if (run.status === 'failed') process.exitCode = 1;
  if (options.json) return printJson(run);
  process.stdout.write(`${summary(kind, audience, connection, run).join('\n')}\n`);
}

function summary(kind: RunKind, audience: string, connection: string, run: SyncRun): string[] {
  const name = syncName(audience, connection);
  const seconds = run.finishedAt ? (Date.parse(run.finishedAt) - Date.parse(run.startedAt)) / 1000 : undefined;
  const lines = [`${kind} of ${name} ${run.status}${seconds === undefined ? '' : ` in ${seconds.toFixed(1)} s`}: ${progressText(run)}, ${countsText(run)}`];
  if (run.errors.length) {
    lines.push(`errors (${Math.min(SAMPLES, run.errors.length)} of ${run.errors.length} samples):`);
    for (const e of run.errors.slice(0, SAMPLES)) lines.push(`  ${shortTime(e.at)}  ${e.code}  ${e.message}`);
  }
  if (run.failed > 0) {
    lines.push(
      `${run.failed} failed: see the samples of every run with switchyard audiences status ${audience} ${connection}, ` +
        `and what could not be delivered with switchyard dead-letters list --connection ${connection}`,
    );
  }
  return lines;
}
