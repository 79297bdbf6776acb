/** The audience-sync routes of a running router's admin API, with answers that say what to do next. */
import { admin, type AdminOptions } from './admin-client.js';
import type { SyncRun, SyncStatus } from '@switchyard/core';

type ErrorBody = { error?: { message?: string } };

const syncPath = (audience: string, connection: string) => `/admin/v1/audience-syncs/${encodeURIComponent(audience)}/${encodeURIComponent(connection)}`;

export const syncName = (audience: string, connection: string) => `${audience}/${connection}`;

const noSync = (audience: string, connection: string, json: ErrorBody) =>
  new Error(
    `no sync of audience ${audience} to connection ${connection} (${json.error?.message ?? 'not found'}); ` +
      'list the syncs with switchyard audiences status, or add one under the audience\'s "syncs" in the config',
  );

export async function listSyncs(options: AdminOptions): Promise<SyncStatus[]> {
  return (await admin<{ syncs: SyncStatus[] }>(options, 'GET', '/admin/v1/audience-syncs')).json.syncs;
}

export async function readSync(options: AdminOptions, audience: string, connection: string): Promise<{ sync: SyncStatus; runs: SyncRun[] }> {
  const { status, json } = await admin<{ sync: SyncStatus; runs: SyncRun[] } & ErrorBody>(options, 'GET', syncPath(audience, connection), {
    accept: [404],
  });
  if (status === 404) throw noSync(audience, connection, json);
  return json;
}

export async function readRun(options: AdminOptions, audience: string, connection: string, runId: string): Promise<SyncRun> {
  const path = `${syncPath(audience, connection)}/runs/${encodeURIComponent(runId)}`;
  const { status, json } = await admin<{ run: SyncRun } & ErrorBody>(options, 'GET', path, { accept: [404] });
  if (status === 404) {
    throw new Error(
      `the router no longer knows run ${runId} of ${syncName(audience, connection)} (${json.error?.message ?? 'not found'}); ` +
        `was it restarted? see switchyard audiences status ${audience} ${connection}`,
    );
  }
  return json.run;
}

/** Starts a backfill or a reconciliation; a 409 says why the router refused and what to do instead. */
export async function startRun(options: AdminOptions, audience: string, connection: string, kind: 'backfill' | 'reconcile'): Promise<SyncRun> {
  const { status, json } = await admin<{ run: SyncRun } & ErrorBody>(options, 'POST', `${syncPath(audience, connection)}/${kind}`, {
    accept: [404, 409],
  });
  if (status === 404) throw noSync(audience, connection, json);
  if (status === 409) throw await refusal(options, audience, connection, kind, json.error?.message ?? 'conflict');
  return json.run;
}

async function refusal(options: AdminOptions, audience: string, connection: string, kind: string, reason: string): Promise<Error> {
  const name = syncName(audience, connection);
  const { sync } = await readSync(options, audience, connection);
  if (sync.current) {
    const { current } = sync;
    return new Error(
      `${name} is already running a ${current.kind} (${progressText(current)}; ${reason}): ` +
        `wait for it to finish, following it with switchyard audiences status ${audience} ${connection}`,
    );
  }
  if (kind === 'reconcile' && sync.mode !== 'mirror') {
    return new Error(
      `${name} is an ${sync.mode} sync, and only a mirror sync reconciles (${reason}): ` +
        `set mode: mirror (and every: 1h) on this sync under the audience's "syncs" in the config, or run switchyard audiences backfill ${audience} ${connection}`,
    );
  }
  return new Error(`the router refused to start a ${kind} of ${name}: ${reason}`);
}

/** `120/500 processed` (or `120 processed` while the total is not known yet). */
export const progressText = (run: SyncRun) => `${run.processed}${run.total === null ? '' : `/${run.total}`} processed`;

/** `480 added, 0 removed, 20 unmatched, 0 failed` */
export const countsText = (run: SyncRun) => `${run.added} added, ${run.removed} removed, ${run.unmatched} unmatched, ${run.failed} failed`;

/** An ISO time to the second: `2026-12-03 14:07:53Z`. */
export const shortTime = (iso: string | null | undefined) => (iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '-');
