import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import type { AdminApi } from '../api.js';
import { dateTime } from '../format.js';
import { IDENTITY_TYPE_HINTS } from '../identity-types.js';
import { usePolling } from '../polling.js';
import type { Suppression } from '../types.js';
import { ConfirmButton, ErrorNote, Section } from '../widgets.js';

const PAGE = 100;

/** Suppressed people: listed, added (by any of their identifiers), removed after a confirmation. */
export function Suppressions({ api }: { api: AdminApi }) {
  const [offset, setOffset] = useState(0);
  const [type, setType] = useState('email');
  const [value, setValue] = useState('');
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string>();
  const list = usePolling(() => api.get<{ suppressions: Suppression[]; total: number }>(`/admin/v1/suppressions?limit=${PAGE}&offset=${offset}`), 0, [offset]);
  const run = async (action: () => Promise<unknown>) => {
    setError(undefined);
    try {
      await action();
      list.refresh();
    } catch (failure) {
      setError((failure as Error).message);
    }
  };
  const add = (e: Event) => {
    e.preventDefault();
    void run(async () => {
      await api.post('/admin/v1/suppressions', {
        identity_type: type.trim(),
        identity_value: value.trim(),
        ...(reason.trim() ? { reason: reason.trim() } : {}),
      });
      setValue('');
      setReason('');
    });
  };
  const suppressions = list.data?.suppressions ?? [];
  const total = list.data?.total ?? 0;
  return html`<${Section} title="Suppressions">
    <form class="toolbar" data-role="suppression-form" onSubmit=${add}>
      <label
        >identity type <input name="identity_type" list="identity-types" value=${type} onInput=${(e: Event) => setType((e.target as HTMLInputElement).value)}
      /></label>
      <datalist id="identity-types">${IDENTITY_TYPE_HINTS.map((t) => html`<option value=${t} />`)}</datalist>
      <label>value <input name="identity_value" required value=${value} onInput=${(e: Event) => setValue((e.target as HTMLInputElement).value)} /></label>
      <label>reason <input name="reason" value=${reason} onInput=${(e: Event) => setReason((e.target as HTMLInputElement).value)} /></label>
      <button type="submit">Suppress</button>
    </form>
    <${ErrorNote} error=${error ?? list.error} />
    <p data-role="total">${total} suppression${total === 1 ? '' : 's'}.</p>
    <table class="grid">
      <thead>
        <tr>
          <th>identity type</th>
          <th>value</th>
          <th>reason</th>
          <th>since</th>
          <th></th>
        </tr>
      </thead>
      <tbody>
        ${suppressions.map(
          (s) =>
            html`<tr key=${s.id} data-suppression=${s.id} data-value=${s.identity_value}>
              <td>${s.identity_type}</td>
              <td>${s.identity_value}</td>
              <td>${s.reason ?? ''}</td>
              <td>${dateTime(s.created_at)}</td>
              <td>
                <${ConfirmButton}
                  name="remove"
                  label="Remove"
                  question=${`Deliver events of ${s.identity_type} ${s.identity_value} again?`}
                  onConfirm=${() => run(() => api.delete(`/admin/v1/suppressions/${encodeURIComponent(s.id)}`))}
                />
              </td>
            </tr>`,
        )}
      </tbody>
    </table>
    <div class="pager">
      <button type="button" disabled=${offset === 0} onClick=${() => setOffset(Math.max(0, offset - PAGE))}>Previous</button>
      <button type="button" disabled=${offset + PAGE >= total} onClick=${() => setOffset(offset + PAGE)}>Next ${PAGE}</button>
    </div>
  <//>`;
}
