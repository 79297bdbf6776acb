import { randomUUID } from 'node:crypto';
import { HttpSink } from '../helpers/http-sink.js';
import { RouterFixture } from '../helpers/router.js';
import { until } from '../helpers/deliveries.js';

const ADMIN = 'admin-token-metrics-000001';
const METRICS_TOKEN = 'metrics-token-0123456789';

/** The value of one sample of the Prometheus text format, or undefined when it is absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(match[3]);
  }
  return undefined;
}

describe('Prometheus metrics', () => {
  let sink: HttpSink;
  let fixture: RouterFixture;
  let flakyRefuses = true;
  beforeAll(async () => {
    sink = await new HttpSink().start();
    sink.responder = (r) => ({ status: r.path.startsWith('/down') || (r.path.startsWith('/flaky') && flakyRefuses) ? 503 : 200 });
    fixture = await new RouterFixture({
      server: { metricsToken: METRICS_TOKEN },
      admin: { tokens: [ADMIN] },
      sources: [
        { id: 'web', type: 'segment', writeKey: 'wk_web' },
        { id: 'ops', type: 'segment', writeKey: 'wk_ops' },
      ],
      connections: [
        { id: 'up', connector: 'webhook', settings: { url: `${sink.url}/up` }, sources: ['web'] },
        { id: 'down', connector: 'webhook', settings: { url: `${sink.url}/down` }, sources: ['web'], delivery: { retry: { maxAttempts: 1 } } },
        // Refuses until told otherwise, retrying quickly and without end (the breaker never opens).
        {
          id: 'flaky',
          connector: 'webhook',
          settings: { url: `${sink.url}/flaky` },
          sources: ['ops'],
          delivery: { retry: { maxAttempts: 1000, baseDelayMs: 20, maxDelayMs: 50 }, breaker: { volumeThreshold: 100_000 } },
        },
      ],
    }).start();
  });
  afterAll(async () => {
    await fixture.close();
    await sink.stop();
  });

  const scrape = async (token: string | null = METRICS_TOKEN) => {
    const response = await fixture.send('/metrics', undefined, { method: 'GET', headers: token ? { authorization: `Bearer ${token}` } : {} });
    return response;
  };
  const track = (userId: string, writeKey = 'wk_web') =>
    fixture.send('/v1/track', { userId, event: 'Viewed', messageId: randomUUID() }, { auth: `${writeKey}:` });
  const admin = (path: string) => fixture.send(path, undefined, { method: 'GET', headers: { authorization: `Bearer ${ADMIN}` } });

  it('counts per source and per connection, with latency histograms, breaker state, queue depth and process metrics', async () => {
    for (let i = 0; i < 5; i += 1) expect((await track(`u-${i}`)).status).toBe(200);
    expect((await fixture.send('/v1/track', { userId: 'x', event: 'y' }, { auth: 'wrong-key:' })).status).toBe(403);
    expect((await fixture.send('/v1/track', { event: 'no user' }, { auth: 'wk_web:' })).status).toBe(400);
    expect(
      (await fixture.send('/admin/v1/suppressions', { identity_type: 'user_id', identity_value: 'u-gone' }, { headers: { authorization: `Bearer ${ADMIN}` } }))
        .status,
    ).toBe(201);
    expect((await track('u-gone')).status).toBe(200);
    await until(async () => {
      const text = (await scrape()).text;
      return (
        sample(text, 'switchyard_connection_deliveries_delivered_total', { connection: 'up' }) === 5 &&
        sample(text, 'switchyard_connection_deliveries_dead_lettered_total', { connection: 'down' }) === 5
      );
    }, 'every delivery to settle');

    const response = await scrape();
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = response.text;
    expect(sample(text, 'switchyard_source_events_received_total', { source: 'web' })).toBe(6);
    expect(sample(text, 'switchyard_source_events_accepted_total', { source: 'web' })).toBe(5);
    expect(sample(text, 'switchyard_source_events_suppressed_total', { source: 'web' })).toBe(1);
    expect(sample(text, 'switchyard_source_requests_rejected_total', { api: 'segment', source: '', reason: 'INVALID_WRITE_KEY' })).toBe(1);
    expect(sample(text, 'switchyard_source_requests_rejected_total', { api: 'segment', source: 'web', reason: 'INVALID_EVENT' })).toBe(1);
    expect(sample(text, 'switchyard_ingestion_ack_duration_seconds_count', { api: 'segment' })).toBe(6);
    expect(sample(text, 'switchyard_connection_delivery_latency_seconds_count', { connection: 'up' })).toBe(5);
    expect(sample(text, 'switchyard_connection_delivery_failures_total', { connection: 'down', code: 'HTTP_503' })).toBe(5);
    expect(sample(text, 'switchyard_connection_breaker_state', { connection: 'up', state: 'closed' })).toBe(1);
    expect(sample(text, 'switchyard_queue_depth', { connection: 'up' }) ?? 0).toBe(0);
    expect(sample(text, 'switchyard_privacy_decisions_total', { source: 'web', decision: 'suppressed' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'switchyard_process_cpu_user_seconds_total')).toBeGreaterThan(0);
    // No label carries user data.
    expect(text).not.toMatch(/u-gone|u-1\b/);

    // Counters only grow: a second scrape reports the same totals, not twice them.
    expect(sample((await scrape()).text, 'switchyard_source_events_accepted_total', { source: 'web' })).toBe(5);
  });

  it('keeps the last failed attempts of each connection and reports queued deliveries per connection', async () => {
    const errors = await admin('/admin/v1/connections/down/errors');
    expect(errors.status).toBe(200);
    expect(errors.json.errors).toHaveLength(5);
    expect(errors.json.errors[0]).toEqual({
      at: expect.any(String),
      messageId: expect.any(String),
      outcome: 'dead_lettered',
      code: 'HTTP_503',
      message: expect.any(String),
      httpStatus: 503,
    });
    expect((await admin('/admin/v1/connections/up/errors')).json.errors).toEqual([]);
    expect((await admin('/admin/v1/connections/nowhere/errors')).status).toBe(404);
    expect((await admin('/admin/v1/connections')).json.connections.down).toMatchObject({ queued: 0, deadLettered: 5 });
  });

  it('reports how long the oldest queued delivery has waited: since it was accepted, through retries, and 0 once delivered', async () => {
    const ageOfFlaky = async () => {
      const [text, connections] = await Promise.all([scrape().then((r) => r.text), admin('/admin/v1/connections').then((r) => r.json.connections)]);
      return {
        metric: sample(text, 'switchyard_connection_oldest_queued_age_seconds', { connection: 'flaky' }),
        admin: connections.flaky.oldestQueuedAgeSeconds,
      };
    };
    expect(await ageOfFlaky()).toEqual({ metric: 0, admin: 0 });

    const sentAt = Date.now();
    expect((await track('u-late', 'wk_ops')).status).toBe(200);
    const acceptedAt = Date.now();
    const attempts = () => sink.requests.filter((r) => r.path.startsWith('/flaky')).length;
    await sink.waitFor(() => attempts() >= 3, 15_000, 'three refused attempts');
    const before = Date.now();
    const first = await ageOfFlaky();
    const after = Date.now();
    // Counted from acceptance, not from the last attempt: retries do not reset it.
    for (const age of [first.metric!, first.admin]) {
      expect(age).toBeGreaterThanOrEqual((before - acceptedAt) / 1000);
      expect(age).toBeLessThanOrEqual((after - sentAt) / 1000);
    }
    const seen = attempts();
    await sink.waitFor(() => attempts() > seen, 15_000, 'one more refused attempt');
    const later = await ageOfFlaky();
    expect(later.metric).toBeGreaterThan(first.metric!);
    expect(later.admin).toBeGreaterThan(first.admin);
    expect((await admin('/admin/v1/connections')).json.connections.flaky.queued).toBe(1);

    flakyRefuses = false;
    await until(async () => (await admin('/admin/v1/connections')).json.connections.flaky.queued === 0, 'the delivery to flaky to go through');
    expect(await ageOfFlaky()).toEqual({ metric: 0, admin: 0 });
    expect(sample((await scrape()).text, 'switchyard_connection_deliveries_delivered_total', { connection: 'flaky' })).toBe(1);
  });

  it('the Grafana dashboard in docs/ queries only metrics the router exports', async () => {
    const { readFileSync } = await import('node:fs');
    const dashboard = JSON.parse(readFileSync(new URL('../../../docs/grafana-dashboard.json', import.meta.url), 'utf8')) as {
      panels: Array<{ targets: Array<{ expr: string }> }>;
    };
    const exported = new Set(
      [...(await scrape()).text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].flatMap(([, name, type]) => (type === 'histogram' ? [`${name}_bucket`] : [name!])),
    );
    const queried = new Set(dashboard.panels.flatMap((p) => p.targets.flatMap((t) => [...t.expr.matchAll(/\b(switchyard_\w+)/g)].map((m) => m[1]!))));
    expect(queried.size).toBeGreaterThan(10);
    expect([...queried].filter((name) => !exported.has(name))).toEqual([]);
  });

  it('asks for the metrics token (or an admin token) when one is configured', async () => {
    expect((await scrape(null)).status).toBe(401);
    expect((await scrape('not-the-token-0000000')).status).toBe(401);
    expect((await scrape(ADMIN)).status).toBe(200);
  });
});
