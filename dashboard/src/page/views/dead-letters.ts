import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import type { AdminApi } from '../api.js';
import { dateTime, json } from '../format.js';
import { usePolling } from '../polling.js';
import type { ConnectionReadout, DeadLetter } from '../types.js';
import { ConfirmButton, ErrorNote, Section } from '../widgets.js';

const PAGE = 100;

const eventName = (d: DeadLetter) => [d.event.type, d.event.event].filter(Boolean).join(' ');
const errorOf = (d: DeadLetter) => d.error.code ?? (d.error.httpStatus ? `HTTP_${d.error.httpStatus}` : d.error.status);

function Inspect({ letter, onClose }: { letter: DeadLetter; onClose: () => void }) {
  return html`<div class="inspect" data-role="dead-letter" data-id=${letter.id}>
    <h3>Dead letter ${letter.id} <button type="button" data-action="close" onClick=${onClose}>Close</button></h3>
    <dl>
      <dt>connection</dt>
      <dd>${letter.connectionId}</dd>
      <dt>messageId</dt>
      <dd>${letter.messageId}</dd>
      <dt>attempts</dt>
      <dd>${letter.attempts}</dd>
      <dt>queued at</dt>
      <dd>${dateTime(letter.enqueuedAt)}</dd>
      <dt>dead at</dt>
      <dd>${dateTime(letter.deadAt)}</dd>
      <dt>error</dt>
      <dd data-field="error">
        ${[letter.error.status, letter.error.code, letter.error.httpStatus && `HTTP ${letter.error.httpStatus}`].filter(Boolean).join(' · ')}
      </dd>
      <dt>message</dt>
      <dd data-field="error-message">${letter.error.message ?? '—'}</dd>
    </dl>
    <h4>Body</h4>
    <pre data-field="body">${json(letter.event)}</pre>
  </div>`;
}

/** Dead letters: listed by connection, one inspected (its error and body), replayed or purged after a confirmation. */
export function DeadLetters({ api }: { api: AdminApi }) {
  const [connection, setConnection] = useState('');
  const [after, setAfter] = useState<number[]>([]);
  const [selected, setSelected] = useState<Set<number>>(new Set());
  const [inspected, setInspected] = useState<DeadLetter>();
  const [outcome, setOutcome] = useState<string>();
  const [actionError, setActionError] = useState<string>();
  const connections = usePolling(() => api.get<{ connections: Record<string, ConnectionReadout> }>('/admin/v1/connections'), 0);
  const cursor = after[after.length - 1];
  const query = new URLSearchParams({ limit: String(PAGE), ...(connection ? { connection } : {}), ...(cursor !== undefined ? { after: String(cursor) } : {}) });
  const list = usePolling(() => api.get<{ deadLetters: DeadLetter[] }>(`/admin/v1/dead-letters?${query}`), 5000, [query.toString()]);
  const letters = list.data?.deadLetters ?? [];
  const ids = [...selected];
  const target = ids.length
    ? `the ${ids.length} selected dead letter${ids.length === 1 ? '' : 's'}`
    : connection
      ? `every dead letter of ${connection}`
      : 'every dead letter';
  const filter = { ...(connection ? { connection } : {}), ...(ids.length ? { ids } : {}) };

  const act = async (what: 'replay' | 'purge') => {
    setActionError(undefined);
    try {
      if (what === 'replay') {
        const r = await api.post<{ replayed: number; dropped: number; skipped: number }>('/admin/v1/dead-letters/replay', filter);
        setOutcome(`Replayed ${r.replayed}, dropped ${r.dropped} (privacy), skipped ${r.skipped}.`);
      } else {
        const r = await api.post<{ purged: number }>('/admin/v1/dead-letters/purge', filter);
        setOutcome(`Purged ${r.purged}.`);
      }
      setSelected(new Set());
      setInspected(undefined);
      list.refresh();
    } catch (error) {
      setActionError((error as Error).message);
    }
  };
  const toggle = (id: number) => {
    const next = new Set(selected);
    if (!next.delete(id)) next.add(id);
    setSelected(next);
  };

  return html`<${Section} title="Dead letters">
    <div class="toolbar">
      <label
        >connection
        <select
          name="connection"
          value=${connection}
          onChange=${(e: Event) => {
            setConnection((e.target as HTMLSelectElement).value);
            setAfter([]);
            setSelected(new Set());
          }}
        >
          <option value="">all</option>
          ${Object.keys(connections.data?.connections ?? {})
            .sort()
            .map((id) => html`<option value=${id}>${id}</option>`)}
        </select></label
      >
      <${ConfirmButton} name="replay" label="Replay" question=${`Replay ${target}?`} disabled=${letters.length === 0} onConfirm=${() => act('replay')} />
      <${ConfirmButton} name="purge" label="Purge" question=${`Delete ${target} for good?`} disabled=${letters.length === 0} onConfirm=${() => act('purge')} />
      <button type="button" data-action="refresh" onClick=${list.refresh}>Refresh</button>
    </div>
    ${outcome ? html`<p class="outcome" data-role="outcome">${outcome}</p>` : null}
    <${ErrorNote} error=${actionError ?? list.error} />
    ${letters.length === 0 && !list.loading ? html`<p class="empty" data-role="empty">No dead letters${connection ? ` for ${connection}` : ''}.</p>` : null}
    <table class="grid clickable">
      <thead>
        <tr>
          <th></th>
          <th>id</th>
          <th>connection</th>
          <th>dead at</th>
          <th>attempts</th>
          <th>event</th>
          <th>messageId</th>
          <th>error</th>
        </tr>
      </thead>
      <tbody>
        ${letters.map(
          (d) =>
            html`<tr
              key=${d.id}
              data-dead-letter=${d.id}
              data-message-id=${d.messageId}
              class=${inspected?.id === d.id ? 'active' : ''}
              onClick=${() => setInspected(d)}
            >
              <td onClick=${(e: Event) => e.stopPropagation()}>
                <input type="checkbox" aria-label=${`select ${d.id}`} checked=${selected.has(d.id)} onChange=${() => toggle(d.id)} />
              </td>
              <td>${d.id}</td>
              <td>${d.connectionId}</td>
              <td>${dateTime(d.deadAt)}</td>
              <td>${d.attempts}</td>
              <td>${eventName(d)}</td>
              <td>${d.messageId}</td>
              <td>${errorOf(d)}</td>
            </tr>`,
        )}
      </tbody>
    </table>
    <div class="pager">
      <button type="button" data-action="previous" disabled=${after.length === 0} onClick=${() => setAfter(after.slice(0, -1))}>Previous</button>
      <button type="button" data-action="next" disabled=${letters.length < PAGE} onClick=${() => setAfter([...after, letters[letters.length - 1]!.id])}>
        Next ${PAGE}
      </button>
    </div>
    ${inspected ? html`<${Inspect} letter=${inspected} onClose=${() => setInspected(undefined)} />` : null}
  <//>`;
}
