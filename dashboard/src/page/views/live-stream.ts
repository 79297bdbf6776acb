import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, type AdminApi } from '../api.js';
import { json, time } from '../format.js';
import { entryOf, keepLatest, LIVE_KINDS, liveQuery, outcomeSummary, type AttemptEntry, type LiveEntry } from '../live-entries.js';
import { Section } from '../widgets.js';

type StreamState = { state: 'connecting' | 'open' | 'ended' } | { state: 'unavailable' | 'failed'; message: string };

const RETRY_MS = 3000;

function Checkboxes({ name, options, chosen, onChange }: { name: string; options: string[]; chosen: string[]; onChange: (next: string[]) => void }) {
  if (options.length === 0) return null;
  return html`<fieldset data-filter=${name}>
    <legend>${name}</legend>
    ${options.map(
      (option) =>
        html`<label key=${option}
          ><input
            type="checkbox"
            value=${option}
            checked=${chosen.includes(option)}
            onChange=${() => onChange(chosen.includes(option) ? chosen.filter((c) => c !== option) : [...chosen, option])}
          />${option}</label
        >`,
    )}
  </fieldset>`;
}

function Exchanges({ entry }: { entry: AttemptEntry }) {
  return html`<div class="inspect" data-role="exchanges">
    <h3>${entry.connection} at ${time(entry.at)}</h3>
    <table class="grid">
      <thead>
        <tr>
          <th>messageId</th>
          <th>outcome</th>
          <th>code</th>
          <th>message</th>
        </tr>
      </thead>
      <tbody>
        ${entry.items.map(
          (item) =>
            html`<tr data-message-id=${item.messageId} data-outcome=${item.outcome}>
              <td>${item.messageId}</td>
              <td>${item.outcome}</td>
              <td>${item.code ?? (item.httpStatus ? `HTTP ${item.httpStatus}` : '')}</td>
              <td>${item.message ?? ''}</td>
            </tr>`,
        )}
      </tbody>
    </table>
    ${entry.exchanges.length === 0 ? html`<p class="empty">No HTTP exchange recorded for this attempt.</p>` : null}
    ${entry.exchanges.map(
      (x, i) =>
        html`<details key=${i} open data-role="exchange">
          <summary>
            ${x.method} ${x.url} → ${x.error ? `error: ${x.error}` : (x.status ?? '…')}${x.durationMs !== undefined ? ` in ${x.durationMs} ms` : ''}
          </summary>
          <h4>Request</h4>
          <pre>${json(x.request)}</pre>
          ${
            x.response
              ? html`<h4>Response</h4>
                  <pre>${json(x.response)}</pre>`
              : null
          }
        </details>`,
    )}
  </div>`;
}

function EntryRow({ entry, active, onSelect }: { entry: LiveEntry; active: boolean; onSelect: () => void }) {
  const what =
    entry.kind === 'inbound'
      ? [entry.source, `${entry.type}${entry.event ? ` ${entry.event}` : ''}`, entry.messageId]
      : [entry.connection, outcomeSummary(entry.items), `${entry.items.length} item${entry.items.length === 1 ? '' : 's'}`];
  const key = entry.kind === 'inbound' ? { 'data-message-id': entry.messageId } : { 'data-connection': entry.connection };
  return html`<tr data-entry=${entry.kind} ...${key} class=${active ? 'active' : ''} onClick=${onSelect}>
    <td>${time(entry.at)}</td>
    <td>${entry.kind}</td>
    ${what.map((cell) => html`<td>${cell}</td>`)}
  </tr>`;
}

/**
 * The live stream (`GET /admin/v1/live`, server-sent events read with fetch so the token goes in a header):
 * filters by source, connection and kind, a PII mask, pause, the last 200 entries; an attempt opens its exchanges.
 */
export function LiveStream({ api }: { api: AdminApi }) {
  const [sources, setSources] = useState<string[]>([]);
  const [connections, setConnections] = useState<string[]>([]);
  const [kinds, setKinds] = useState<string[]>([...LIVE_KINDS]);
  const [maskPii, setMaskPii] = useState(true);
  const [paused, setPaused] = useState(false);
  const [known, setKnown] = useState<{ sources: string[]; connections: string[] }>({ sources: [], connections: [] });
  const [status, setStatus] = useState<StreamState>({ state: 'connecting' });
  const [shown, setShown] = useState<LiveEntry[]>([]);
  const [selected, setSelected] = useState<number>();
  const held = useRef<LiveEntry[]>([]);
  const pausedRef = useRef(false);
  const query = liveQuery({ sources, connections, kinds, maskPii });

  useEffect(() => {
    const controller = new AbortController();
    let retry: ReturnType<typeof setTimeout> | undefined;
    let key = 0;
    // A new filter starts a new list: entries held under the old one would mislead.
    held.current = [];
    setShown([]);
    const open = () => {
      setStatus({ state: 'connecting' });
      const onMessage = (message: Parameters<typeof entryOf>[0]) => {
        const entry = entryOf(message, (key += 1));
        if (!entry) return;
        if (entry.kind === 'hello') {
          setStatus({ state: 'open' });
          setKnown((before) => ({
            sources: [...new Set([...before.sources, ...entry.sources])].sort(),
            connections: [...new Set([...before.connections, ...entry.connections])].sort(),
          }));
          return;
        }
        held.current = keepLatest(held.current, entry);
        if (!pausedRef.current) setShown(held.current);
      };
      api.stream(`/admin/v1/live?${query}`, onMessage, controller.signal).then(
        () => {
          if (controller.signal.aborted) return;
          setStatus({ state: 'ended' });
          retry = setTimeout(open, RETRY_MS);
        },
        (error: unknown) => {
          if (controller.signal.aborted) return;
          if (error instanceof ApiError && error.status === 404) {
            setStatus({ state: 'unavailable', message: 'Live stream unavailable: this router has no live stream endpoint (GET /admin/v1/live answered 404).' });
          } else if (!(error instanceof ApiError && error.refused)) {
            setStatus({ state: 'failed', message: `The live stream stopped: ${(error as Error).message}. Reconnecting…` });
            retry = setTimeout(open, RETRY_MS);
          }
        },
      );
    };
    open();
    return () => {
      controller.abort();
      clearTimeout(retry);
    };
  }, [api, query]);

  const togglePause = () => {
    pausedRef.current = !paused;
    setPaused(!paused);
    if (paused) setShown(held.current);
  };
  const waiting = paused ? held.current.filter((e) => !shown.includes(e)).length : 0;
  const chosen = shown.find((e) => e.key === selected);
  return html`<${Section} title="Live stream">
    <div class="toolbar live-filters">
      <${Checkboxes} name="sources" options=${known.sources} chosen=${sources} onChange=${setSources} />
      <${Checkboxes} name="connections" options=${known.connections} chosen=${connections} onChange=${setConnections} />
      <${Checkboxes} name="kinds" options=${[...LIVE_KINDS]} chosen=${kinds} onChange=${(next: string[]) => next.length && setKinds(next)} />
      <label><input type="checkbox" name="mask" checked=${maskPii} onChange=${() => setMaskPii(!maskPii)} />mask PII</label>
      <button type="button" data-action="pause" aria-pressed=${paused} onClick=${togglePause}>${paused ? 'Resume' : 'Pause'}</button>
    </div>
    <p class=${`stream-status ${status.state}`} data-role="stream-status" data-state=${status.state}>
      ${'message' in status ? status.message : status.state === 'open' ? 'Connected.' : status.state === 'ended' ? 'The stream ended; reconnecting…' : 'Connecting…'}
      ${paused ? ` Paused: ${waiting} new entr${waiting === 1 ? 'y' : 'ies'} waiting.` : ''}
    </p>
    <table class="grid clickable" data-role="live-entries">
      <thead>
        <tr>
          <th>at</th>
          <th>kind</th>
          <th>source / connection</th>
          <th>what</th>
          <th></th>
        </tr>
      </thead>
      <tbody>
        ${shown.map((entry) => html`<${EntryRow} key=${entry.key} entry=${entry} active=${entry.key === selected} onSelect=${() => setSelected(entry.key)} />`)}
      </tbody>
    </table>
    ${chosen?.kind === 'attempt' ? html`<${Exchanges} entry=${chosen} />` : null}
    ${
      chosen?.kind === 'inbound'
        ? html`<div class="inspect" data-role="inbound-body">
            <h3>${chosen.messageId}</h3>
            <pre>${json(chosen.body)}</pre>
          </div>`
        : null
    }
  <//>`;
}
