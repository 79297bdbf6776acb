import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import type { AdminApi } from '../api.js';
import { time } from '../format.js';
import type { EventTrace } from '../types.js';
import { ErrorNote, Section } from '../widgets.js';

/** Where an event went: a messageId in, its steps out (routing per connection, drops, every delivery attempt). */
export function TraceView({ api }: { api: AdminApi }) {
  const [messageId, setMessageId] = useState('');
  const [trace, setTrace] = useState<EventTrace>();
  const [error, setError] = useState<string>();
  const look = async (e: Event) => {
    e.preventDefault();
    const id = messageId.trim();
    if (!id) return;
    setError(undefined);
    setTrace(undefined);
    try {
      setTrace((await api.get<{ trace: EventTrace }>(`/admin/v1/trace/${encodeURIComponent(id)}`)).trace);
    } catch (failure) {
      setError((failure as Error).message);
    }
  };
  return html`<${Section} title="Trace an event">
    <form class="toolbar" data-role="trace-form" onSubmit=${look}>
      <label>messageId <input name="messageId" value=${messageId} onInput=${(e: Event) => setMessageId((e.target as HTMLInputElement).value)} /></label>
      <button type="submit">Trace</button>
    </form>
    <${ErrorNote} error=${error} />
    ${
      trace
        ? html`<div data-role="trace" data-message-id=${trace.messageId}>
            <p>Event <code>${trace.messageId}</code> from source <code>${trace.sourceId}</code>: ${trace.steps.length} steps.</p>
            <table class="grid">
              <thead>
                <tr>
                  <th>at</th>
                  <th>stage</th>
                  <th>connection</th>
                  <th>outcome</th>
                  <th>reason</th>
                </tr>
              </thead>
              <tbody>
                ${trace.steps.map(
                  (step) =>
                    html`<tr data-stage=${step.stage} data-connection=${step.connection ?? ''} data-outcome=${step.outcome}>
                      <td>${time(step.at)}</td>
                      <td>${step.stage}</td>
                      <td>${step.connection ?? ''}</td>
                      <td>${step.outcome}</td>
                      <td>${step.reason ?? ''}</td>
                    </tr>`,
                )}
              </tbody>
            </table>
          </div>`
        : null
    }
  <//>`;
}
