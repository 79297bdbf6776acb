import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import type { AdminApi } from '../api.js';
import { dateTime } from '../format.js';
import type { DsrStatus } from '../types.js';
import { ErrorNote, Section } from '../widgets.js';

function ConnectionOutcomes({ status }: { status: DsrStatus }) {
  return Object.entries(status.extensions ?? {}).map(
    ([domain, extension]) =>
      html`<div key=${domain}>
        <table class="grid" data-role="dsr-connections">
          <thead>
            <tr>
              <th>connection</th>
              <th>status</th>
              <th>records</th>
              <th>error</th>
            </tr>
          </thead>
          <tbody>
            ${Object.entries(extension.connections ?? {}).map(
              ([connection, outcome]) =>
                html`<tr data-connection=${connection} data-status=${outcome.status}>
                  <td>${connection}</td>
                  <td>${outcome.status}</td>
                  <td>${outcome.records ?? ''}</td>
                  <td>${outcome.error ?? ''}</td>
                </tr>`,
            )}
          </tbody>
        </table>
        ${extension.next_attempt_at ? html`<p>Next attempt at ${dateTime(extension.next_attempt_at)}.</p>` : null}
      </div>`,
  );
}

/** A data-subject request by its id: its status and what each connection did (OpenDSR `GET /opendsr/v1/requests/{id}`). */
export function DsrRequests({ api }: { api: AdminApi }) {
  const [id, setId] = useState('');
  const [status, setStatus] = useState<DsrStatus>();
  const [error, setError] = useState<string>();
  const look = async (e?: Event) => {
    e?.preventDefault();
    if (!id.trim()) return;
    setError(undefined);
    try {
      setStatus(await api.get<DsrStatus>(`/opendsr/v1/requests/${encodeURIComponent(id.trim())}`));
    } catch (failure) {
      setStatus(undefined);
      setError((failure as Error).message);
    }
  };
  return html`<${Section} title="Data-subject requests">
    <form class="toolbar" data-role="dsr-form" onSubmit=${look}>
      <label>request id <input name="requestId" value=${id} onInput=${(e: Event) => setId((e.target as HTMLInputElement).value)} /></label>
      <button type="submit">Look up</button>
      ${status ? html`<button type="button" onClick=${() => look()}>Refresh</button>` : null}
    </form>
    <${ErrorNote} error=${error} />
    ${
      status
        ? html`<div data-role="dsr-status" data-status=${status.request_status}>
            <p>
              Request <code>${status.subject_request_id}</code> is <strong>${status.request_status}</strong>, expected by
              ${dateTime(status.expected_completion_time)}.
            </p>
            ${status.results_url ? html`<p>Results: <code>${status.results_url}</code> (${status.results_count ?? 0} records)</p>` : null}
            <${ConnectionOutcomes} status=${status} />
          </div>`
        : null
    }
    <p class="hint">Submit requests with <code>switchyard dsr submit</code> or the OpenDSR API.</p>
  <//>`;
}
