import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import type { AdminApi } from '../api.js';
import { count, dateTime } from '../format.js';
import { usePolling } from '../polling.js';
import type { SyncRun, SyncStatus } from '../types.js';
import { ConfirmButton, ErrorNote, Section } from '../widgets.js';

const REFRESH_MS = 2000;

const syncId = (s: { audience: string; connection: string }) => `${s.audience}/${s.connection}`;
const syncPath = (s: { audience: string; connection: string }) =>
  `/admin/v1/audience-syncs/${encodeURIComponent(s.audience)}/${encodeURIComponent(s.connection)}`;
const modeOf = (s: SyncStatus) => (s.mode === 'mirror' && s.every ? `mirror, every ${s.every}` : s.mode);
const when = (at: string | null | undefined) => (at ? dateTime(at) : '—');

/** A running backfill or reconciliation: a bar of processed over total (moving without an end while it is unknown). */
function RunProgress({ run }: { run: SyncRun }) {
  return html`<span class="run-progress" data-role="progress" data-run=${run.id}>
    <progress max=${run.total ?? undefined} value=${run.total === null ? undefined : run.processed} aria-label=${`${run.kind} progress`}></progress>
    <span data-field="progress">${count(run.processed)}${run.total === null ? '' : ` / ${count(run.total)}`}</span>
  </span>`;
}

function RunCounts({ run }: { run: SyncRun }) {
  return html`<td data-field="added">${count(run.added)}</td>
    <td data-field="removed">${count(run.removed)}</td>
    <td data-field="unmatched">${count(run.unmatched)}</td>
    <td data-field="failed" class=${run.failed ? 'bad' : ''}>${count(run.failed)}</td>`;
}

function SyncRow({ sync, active, onSelect }: { sync: SyncStatus; active: boolean; onSelect: () => void }) {
  const last = sync.lastRun;
  return html`<tr data-sync=${syncId(sync)} class=${active ? 'active' : ''} onClick=${onSelect}>
    <td>${sync.audience}</td>
    <td>${sync.connection}</td>
    <td data-field="mode">${modeOf(sync)}</td>
    <td data-field="state">${sync.state}</td>
    <td data-field="members">${count(sync.members)}</td>
    <td>${sync.current ? html`<${RunProgress} run=${sync.current} />` : null}</td>
    <td data-field="last-run">${last ? `${last.kind} ${last.status}` : '—'}</td>
    ${
      last
        ? html`<${RunCounts} run=${last} />`
        : html`<td></td>
            <td></td>
            <td></td>
            <td></td>`
    }
    <td data-field="finished">${when(last?.finishedAt)}</td>
  </tr>`;
}

function RunRows({ run }: { run: SyncRun }) {
  return html`<tr data-run=${run.id} data-kind=${run.kind} data-status=${run.status}>
      <td>${run.id}</td>
      <td>${run.kind}</td>
      <td data-field="status" class=${run.status === 'failed' ? 'bad' : ''}>${run.status}</td>
      <td>${when(run.startedAt)}</td>
      <td>${when(run.finishedAt)}</td>
      <td data-field="processed">${run.status === 'running' ? html`<${RunProgress} run=${run} />` : count(run.processed)}</td>
      <${RunCounts} run=${run} />
    </tr>
    ${
      run.errors.length
        ? html`<tr class="run-errors" data-errors-of=${run.id}>
            <td colspan="10">
              <ul>
                ${run.errors.map((e) => html`<li data-role="error-sample"><code>${e.code}</code> ${e.message} <span class="hint">${when(e.at)}</span></li>`)}
              </ul>
            </td>
          </tr>`
        : null
    }`;
}

/** One sync: its settings, Backfill (and Reconcile for a mirror) after a confirmation, and its runs, newest first. */
function SyncDetail({ api, selected, onStarted }: { api: AdminApi; selected: SyncStatus; onStarted: () => void }) {
  const [outcome, setOutcome] = useState<string>();
  const [actionError, setActionError] = useState<string>();
  const detail = usePolling(() => api.get<{ sync: SyncStatus; runs: SyncRun[] }>(syncPath(selected)), REFRESH_MS, [syncId(selected)]);
  const sync = detail.data?.sync ?? selected;
  const runs = detail.data?.runs ?? [];
  const start = async (kind: 'backfill' | 'reconcile') => {
    setOutcome(undefined);
    setActionError(undefined);
    try {
      const { run } = await api.post<{ run: SyncRun }>(`${syncPath(sync)}/${kind}`, undefined);
      setOutcome(`Started ${kind} ${run.id}.`);
      detail.refresh();
      onStarted();
    } catch (error) {
      setActionError((error as Error).message);
    }
  };
  return html`<div class="inspect" data-role="sync" data-sync=${syncId(sync)}>
    <h3>${sync.audience} → ${sync.connection}</h3>
    <p>Mode ${modeOf(sync)}, sent as ${sync.as}; ${count(sync.members)} members; ${sync.state}.</p>
    <div class="toolbar">
      <${ConfirmButton}
        name="backfill"
        label="Backfill"
        question=${`Backfill ${sync.audience} → ${sync.connection} again? Members the sync has not added yet are sent.`}
        disabled=${sync.current !== null}
        onConfirm=${() => start('backfill')}
      />
      ${
        sync.mode === 'mirror'
          ? html`<${ConfirmButton}
              name="reconcile"
              label="Reconcile"
              question=${`Make ${sync.connection} hold exactly the members of ${sync.audience} (adds and removals)?`}
              disabled=${sync.current !== null}
              onConfirm=${() => start('reconcile')}
            />`
          : null
      }
    </div>
    ${outcome ? html`<p class="outcome" data-role="outcome">${outcome}</p>` : null}
    <${ErrorNote} error=${actionError ?? detail.error} />
    <h4>Runs</h4>
    ${runs.length === 0 && !detail.loading ? html`<p class="empty" data-role="no-runs">No runs yet.</p>` : null}
    <table class="grid" data-role="runs">
      <thead>
        <tr>
          <th>run</th>
          <th>kind</th>
          <th>status</th>
          <th>started</th>
          <th>finished</th>
          <th>processed</th>
          <th>added</th>
          <th>removed</th>
          <th>unmatched</th>
          <th>failed</th>
        </tr>
      </thead>
      <tbody>
        ${runs.map((run) => html`<${RunRows} key=${run.id} run=${run} />`)}
      </tbody>
    </table>
  </div>`;
}

/** Audience syncs: state, members, the progress of a running backfill or reconciliation; a click shows a sync's runs. */
export function Audiences({ api }: { api: AdminApi }) {
  const [selectedId, setSelectedId] = useState<string>();
  const list = usePolling(() => api.get<{ syncs: SyncStatus[] }>('/admin/v1/audience-syncs'), REFRESH_MS);
  const syncs = list.data?.syncs ?? [];
  const selected = syncs.find((s) => syncId(s) === selectedId);
  return html`<${Section} title="Audience syncs">
    <${ErrorNote} error=${list.error} />
    ${
      syncs.length === 0 && !list.loading && !list.error
        ? html`<p class="empty" data-role="empty">No audience syncs: add one under an audience's <code>syncs</code> in the config.</p>`
        : null
    }
    <table class="grid clickable">
      <thead>
        <tr>
          <th>audience</th>
          <th>connection</th>
          <th>mode</th>
          <th>state</th>
          <th>members</th>
          <th>progress</th>
          <th>last run</th>
          <th>added</th>
          <th>removed</th>
          <th>unmatched</th>
          <th>failed</th>
          <th>finished</th>
        </tr>
      </thead>
      <tbody>
        ${syncs.map((s) => html`<${SyncRow} key=${syncId(s)} sync=${s} active=${syncId(s) === selectedId} onSelect=${() => setSelectedId(syncId(s))} />`)}
      </tbody>
    </table>
    <p class="hint">Counts of the last finished run; a click on a sync shows all its runs with their error samples.</p>
    ${selected ? html`<${SyncDetail} key=${selectedId} api=${api} selected=${selected} onStarted=${list.refresh} />` : null}
  <//>`;
}
