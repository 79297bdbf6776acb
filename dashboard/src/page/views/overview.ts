import { html } from 'htm/preact';
import { useMemo } from 'preact/hooks';
import type { AdminApi } from '../api.js';
import { Chart } from '../chart.js';
import { count, percent, perSecond } from '../format.js';
import { usePolling } from '../polling.js';
import { errorRate, rateSeries, recentRate, type CounterOf } from '../rates.js';
import { REFRESH_MS, useThroughput } from '../throughput.js';
import type { ConnectionReadout, ThroughputSample } from '../types.js';
import { ErrorNote, Section } from '../widgets.js';

const MINUTE = 60_000;
const SOURCE_COUNTERS = ['received', 'accepted', 'rejected'] as const;
type SourceCounter = (typeof SOURCE_COUNTERS)[number];

function deliveredOf(id: string): CounterOf {
  return (s) => s.connections[id]?.delivered;
}

function sourceCounterOf(id: string, what: SourceCounter): CounterOf {
  return (s) => s.sources[id]?.[what];
}

function SourceRow({ id, samples }: { id: string; samples: ThroughputSample[] }) {
  const latest = samples[samples.length - 1]?.sources[id];
  return html`<tr data-source=${id}>
    <th scope="row">${id}</th>
    ${SOURCE_COUNTERS.map((what) => html`<td data-field=${what}>${count(latest?.[what])}</td>`)}
    ${SOURCE_COUNTERS.map((what) => html`<td data-field=${`${what}-rate`}>${perSecond(recentRate(samples, sourceCounterOf(id, what), MINUTE))}</td>`)}
  </tr>`;
}

function SourceChart({ id, samples }: { id: string; samples: ThroughputSample[] }) {
  const data = useMemo(
    () =>
      rateSeries(
        samples,
        SOURCE_COUNTERS.map((what) => sourceCounterOf(id, what)),
      ),
    [samples, id],
  );
  return html`<${Chart} title=${`${id}: events/s`} labels=${['received', 'accepted', 'rejected requests']} data=${data} />`;
}

function ConnectionRow({ id, stats, samples }: { id: string; stats: ConnectionReadout; samples: ThroughputSample[] }) {
  return html`<tr data-connection=${id}>
    <th scope="row">${id}</th>
    <td data-field="health" class=${stats.health === 'unhealthy' ? 'bad' : ''} title=${stats.healthReason ?? ''}>${stats.health}</td>
    <td data-field="breaker" class=${stats.breaker === 'closed' ? '' : 'bad'}>${stats.breaker}</td>
    <td data-field="queued">${count(stats.queued)}</td>
    <td data-field="inFlight">${count(stats.inFlight)}</td>
    <td data-field="delivered">${count(stats.delivered)}</td>
    <td data-field="delivered-rate">${perSecond(recentRate(samples, deliveredOf(id), MINUTE))}</td>
    <td data-field="error-rate">${percent(errorRate(samples, id, MINUTE))}</td>
    <td data-field="retried">${count(stats.retried)}</td>
    <td data-field="deadLettered">${count(stats.deadLettered)}</td>
    <td data-field="dropped">${count(stats.dropped)}</td>
  </tr>`;
}

/** Every source and connection: totals, rates over the last minute, breaker, queue, health; charts of the window. */
export function Overview({ api }: { api: AdminApi }) {
  const throughput = useThroughput(api);
  const connections = usePolling(() => api.get<{ connections: Record<string, ConnectionReadout> }>('/admin/v1/connections'), REFRESH_MS);
  const samples = throughput.data ?? [];
  const sourceIds = Object.keys(samples[samples.length - 1]?.sources ?? {}).sort();
  const connectionStats = Object.entries(connections.data?.connections ?? {}).sort(([a], [b]) => a.localeCompare(b));
  const connectionIds = connectionStats.map(([id]) => id);
  const deliveryData = useMemo(() => rateSeries(samples, connectionIds.map(deliveredOf)), [samples, connectionIds.join(',')]);
  return html`
    <${Section} title="Sources">
      <${ErrorNote} error=${throughput.error} />
      ${sourceIds.length === 0 && !throughput.loading ? html`<p class="empty">No sources configured.</p>` : null}
      <table class="grid">
        <thead>
          <tr>
            <th>source</th>
            <th>received</th>
            <th>accepted</th>
            <th>rejected requests</th>
            <th>received/s</th>
            <th>accepted/s</th>
            <th>rejected/s</th>
          </tr>
        </thead>
        <tbody>
          ${sourceIds.map((id) => html`<${SourceRow} key=${id} id=${id} samples=${samples} />`)}
        </tbody>
      </table>
      <div class="charts">${sourceIds.map((id) => html`<${SourceChart} key=${id} id=${id} samples=${samples} />`)}</div>
    <//>
    <${Section} title="Connections">
      <${ErrorNote} error=${connections.error} />
      <table class="grid">
        <thead>
          <tr>
            <th>connection</th>
            <th>health</th>
            <th>breaker</th>
            <th>queued</th>
            <th>in flight</th>
            <th>delivered</th>
            <th>delivered/s</th>
            <th title="failed attempts (retried or dead-lettered) over all attempts, last minute">error rate</th>
            <th>retried</th>
            <th>dead letters</th>
            <th>dropped</th>
          </tr>
        </thead>
        <tbody>
          ${connectionStats.map(([id, stats]) => html`<${ConnectionRow} key=${id} id=${id} stats=${stats} samples=${samples} />`)}
        </tbody>
      </table>
      ${
        connectionStats.length
          ? html`<div class="charts"><${Chart} title="deliveries/s" labels=${connectionStats.map(([id]) => id)} data=${deliveryData} /></div>`
          : null
      }
      <p class="hint">Rates are over the last minute of the router's 5-second samples; totals count since the router started.</p>
    <//>
  `;
}
