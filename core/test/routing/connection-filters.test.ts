import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ConfigError, loadConfig, type SwitchyardConfig } from '../../src/index.js';
import { eventsAt, type SentEvent } from '../helpers/deliveries.js';
import { HttpSink } from '../helpers/http-sink.js';
import { RouterFixture } from '../helpers/router.js';

const ADMIN = 'admin-token-filters-000001';
const WEB = 'wk_web:';

type Delivered = SentEvent & { event?: string; context: Record<string, unknown>; traits: Record<string, unknown>; properties: Record<string, unknown> };

const track = (messageId: string, extra: Record<string, unknown> = {}) => ({ type: 'track', userId: 'u1', event: 'Clicked', messageId, ...extra });

function configWith(sinkUrl: string, adsFilters: unknown[]): SwitchyardConfig {
  return {
    admin: { tokens: [ADMIN] },
    sources: [
      { id: 'web', type: 'segment', writeKey: 'wk_web' },
      { id: 'bulk', type: 'segment', writeKey: 'wk_bulk' },
    ],
    connections: [
      { id: 'ads', connector: 'webhook', sources: ['web'], settings: { url: `${sinkUrl}/ads` }, filters: adsFilters as never },
      { id: 'warehouse', connector: 'webhook', sources: ['web'], settings: { url: `${sinkUrl}/warehouse` } },
      { id: 'bulk-all', connector: 'webhook', sources: ['bulk'], settings: { url: `${sinkUrl}/bulk-all`, batching: true } },
      {
        id: 'quarter',
        connector: 'webhook',
        sources: ['bulk'],
        settings: { url: `${sinkUrl}/sample-25`, batching: true },
        filters: [{ sample: { percent: 25 } }],
      },
      {
        id: 'quarter-too',
        connector: 'webhook',
        sources: ['bulk'],
        settings: { url: `${sinkUrl}/again-25`, batching: true },
        filters: [{ sample: { percent: 25 } }],
      },
      {
        id: 'half',
        connector: 'webhook',
        sources: ['bulk'],
        settings: { url: `${sinkUrl}/sample-50`, batching: true },
        filters: [{ sample: { percent: 50 } }],
      },
      {
        id: 'minimal',
        connector: 'webhook',
        sources: ['web'],
        settings: { url: `${sinkUrl}/minimal` },
        filters: [{ keepFields: ['event', 'properties.total'], when: { field: 'event', equals: 'Order Completed' } }],
      },
    ],
  };
}

const ADS_FILTERS = [
  { drop: { field: 'properties.internal', equals: true } },
  {
    drop: {
      all: [
        { field: 'event', equals: 'Order Completed' },
        { field: 'properties.total', lt: 1 },
      ],
    },
  },
  { dropFields: ['context.ip', 'traits.email', 'properties.card'] },
];

describe('connection filters, through ingestion', () => {
  let sink: HttpSink;
  let fixture: RouterFixture;
  beforeAll(async () => {
    sink = await new HttpSink().start();
    fixture = await new RouterFixture(configWith(sink.url, ADS_FILTERS)).start();
  });
  afterAll(async () => {
    await fixture.close();
    await sink.stop();
  });

  const admin = (method: string, path: string) => fixture.send(path, undefined, { method, headers: { authorization: `Bearer ${ADMIN}` } });
  const idsAt = (prefix: string) => eventsAt(sink, `/${prefix}`).map((e) => e.messageId);
  const delivered = (prefix: string, messageId: string) => eventsAt(sink, `/${prefix}`).find((e) => e.messageId === messageId) as Delivered | undefined;
  const sendBatch = async (batch: unknown[]) => expect((await fixture.send('/v1/batch', { batch }, { auth: WEB })).status).toBe(200);
  /** Sends, then waits until `marker` reached the warehouse and every queued delivery settled: what was left out is then known to be out. */
  const sendAndSettle = async (batch: unknown[], marker: string) => {
    await sendBatch(batch);
    await sink.waitFor(() => idsAt('warehouse').includes(marker));
    await fixture.drained();
  };

  it('drops a matching event for the connection only; the others still get it', async () => {
    await sendAndSettle(
      [
        track('drop-internal', { properties: { internal: true } }),
        track('drop-zero-order', { event: 'Order Completed', properties: { total: 0 } }),
        track('keep-order', { event: 'Order Completed', properties: { total: 5 } }),
        track('keep-external', { properties: { internal: false } }),
      ],
      'keep-external',
    );
    expect(idsAt('ads')).toEqual(expect.arrayContaining(['keep-order', 'keep-external']));
    expect(idsAt('ads')).not.toContain('drop-internal');
    expect(idsAt('ads')).not.toContain('drop-zero-order');
    expect(idsAt('warehouse')).toEqual(expect.arrayContaining(['drop-internal', 'drop-zero-order', 'keep-order', 'keep-external']));
  });

  it('removes fields from what one connection receives and leaves the others whole', async () => {
    await sendAndSettle(
      [track('pii-1', { context: { ip: '203.0.113.7' }, traits: { email: 'ann@example.com', plan: 'pro' }, properties: { card: '4111', total: 3 } })],
      'pii-1',
    );
    await sink.waitFor(() => idsAt('ads').includes('pii-1'));
    const ads = delivered('ads', 'pii-1')!;
    const adsRaw = sink.requests.find((r) => r.path.startsWith('/ads') && r.rawBody.includes('pii-1'))!.rawBody;
    expect(adsRaw).not.toContain('203.0.113.7');
    expect(adsRaw).not.toContain('4111');
    expect(ads.traits).toEqual({ plan: 'pro' });
    expect((ads as unknown as { raw: { traits: unknown } }).raw.traits).toEqual({ plan: 'pro' });
    // The identities stay: the privacy checks before delivery recognise the person by them.
    expect(ads.identities).toEqual({ user_id: 'u1', email: 'ann@example.com' });
    expect(ads.properties).toEqual({ total: 3 });
    const warehouse = delivered('warehouse', 'pii-1')!;
    expect(warehouse.context.ip).toBe('203.0.113.7');
    expect(warehouse.traits).toEqual({ email: 'ann@example.com', plan: 'pro' });
    expect(warehouse.identities).toMatchObject({ email: 'ann@example.com' });
    expect(warehouse.properties).toEqual({ card: '4111', total: 3 });
  });

  it('keeps only the listed fields (and the ids) when the condition holds', async () => {
    await sendAndSettle(
      [
        track('keep-1', {
          event: 'Order Completed',
          properties: { total: 42, coupon: 'X' },
          traits: { email: 'bo@example.com' },
          context: { ip: '198.51.100.2' },
        }),
        track('keep-2', { event: 'Clicked', properties: { total: 1, coupon: 'Y' } }),
      ],
      'keep-2',
    );
    const minimal = delivered('minimal', 'keep-1')!;
    expect(minimal).toMatchObject({ messageId: 'keep-1', type: 'track', userId: 'u1', event: 'Order Completed', traits: {}, context: {} });
    expect(minimal.properties).toEqual({ total: 42 });
    expect(minimal.identities).toEqual({ user_id: 'u1', email: 'bo@example.com' });
    expect(minimal.profileId).toEqual(expect.any(String));
    expect(Object.keys(minimal).sort()).toEqual([
      'context',
      'event',
      'identities',
      'messageId',
      'profileId',
      'properties',
      'receivedAt',
      'sourceId',
      'timestamp',
      'traits',
      'type',
      'userId',
    ]);
    expect(sink.requests.find((r) => r.path.startsWith('/minimal') && r.rawBody.includes('keep-1'))!.rawBody).not.toContain('198.51.100.2');
    expect(delivered('minimal', 'keep-2')!.properties).toEqual({ total: 1, coupon: 'Y' });
  });

  const SAMPLED = Array.from({ length: 200 }, (_, i) => `sample-${i}`);

  it('samples about the share, by messageId: the same events for the same percentage, nested in larger ones', async () => {
    for (let i = 0; i < SAMPLED.length; i += 100) {
      const response = await fixture.send('/v1/batch', { batch: SAMPLED.slice(i, i + 100).map((id) => track(id)) }, { auth: 'wk_bulk:' });
      expect(response.status).toBe(200);
    }
    await sink.waitFor(() => idsAt('bulk-all').length === SAMPLED.length);
    await fixture.drained();
    const quarter = idsAt('sample-25');
    const half = new Set(idsAt('sample-50'));
    // 200 draws at 25 %: mean 50, standard deviation about 6; at 50 %: mean 100, about 7.
    expect(quarter.length).toBeGreaterThan(25);
    expect(quarter.length).toBeLessThan(75);
    expect(half.size).toBeGreaterThan(70);
    expect(half.size).toBeLessThan(130);
    expect(new Set(idsAt('again-25'))).toEqual(new Set(quarter));
    expect(quarter.every((id) => half.has(id))).toBe(true);
  });

  it('shows the filter as the reason in the trace, and counts it per connection and reason', async () => {
    const dropped = (await admin('GET', '/admin/v1/trace/drop-internal')).json.trace.steps as Array<Record<string, string>>;
    expect(dropped).toContainEqual(expect.objectContaining({ stage: 'routing', connection: 'ads', outcome: 'skipped', reason: 'filter:drop' }));
    expect(dropped).toContainEqual(expect.objectContaining({ stage: 'routing', connection: 'warehouse', outcome: 'queued' }));
    const outOfQuarter = SAMPLED.find((id) => !idsAt('sample-25').includes(id))!;
    const sampled = (await admin('GET', `/admin/v1/trace/${outOfQuarter}`)).json.trace.steps as Array<Record<string, string>>;
    expect(sampled).toContainEqual(expect.objectContaining({ stage: 'routing', connection: 'quarter', outcome: 'skipped', reason: 'filter:sample' }));

    const sampledOut = SAMPLED.length - idsAt('sample-25').length;
    const connections = (await admin('GET', '/admin/v1/connections')).json.connections;
    expect(connections.ads.filtered).toEqual({ drop: 2, sample: 0 });
    expect(connections.warehouse.filtered).toEqual({ drop: 0, sample: 0 });
    expect(connections.quarter.filtered).toEqual({ drop: 0, sample: sampledOut });
    expect((await admin('GET', '/admin/v1/stats')).json.filtered.ads).toEqual({ drop: 2, sample: 0 });

    const metrics = (await fixture.send('/metrics', undefined, { method: 'GET' })).text;
    expect(metrics).toContain('switchyard_connection_filtered_total{connection="ads",reason="drop"} 2');
    expect(metrics).toContain(`switchyard_connection_filtered_total{connection="quarter",reason="sample"} ${sampledOut}`);
  });

  it('applies changed filters on reload and names the change', async () => {
    fixture.writeConfig(configWith(sink.url, [{ drop: { field: 'event', equals: 'Clicked' } }]));
    expect(await fixture.router.reload()).toEqual({ ok: true, changed: ['~connection ads (filters)'] });
    await sendAndSettle(
      [track('after-reload-internal', { event: 'Viewed', properties: { internal: true } }), track('after-reload-click')],
      'after-reload-click',
    );
    expect(idsAt('ads')).toContain('after-reload-internal');
    expect(idsAt('ads')).not.toContain('after-reload-click');

    fixture.writeConfig(configWith(sink.url, [{ drop: { field: 'event', equals: 1, gt: 2 } }]));
    const refused = await fixture.router.reload();
    expect(refused.ok).toBe(false);
    expect(!refused.ok && refused.error).toContain('connections[0].filters[0].drop: has 2 operators (equals, gt)');
  });
});

describe('privacy after acceptance, on filtered deliveries', () => {
  let sink: HttpSink;
  let fixture: RouterFixture;
  let up = false;
  beforeAll(async () => {
    sink = await new HttpSink().start();
    sink.responder = () => (up ? { status: 200 } : { status: 503 });
    fixture = await new RouterFixture({
      admin: { tokens: [ADMIN] },
      sources: [{ id: 'web', type: 'segment', writeKey: 'wk_web' }],
      connections: [
        {
          id: 'slim',
          connector: 'webhook',
          settings: { url: `${sink.url}/slim` },
          filters: [{ keepFields: ['event'] }],
          delivery: { retry: { baseDelayMs: 100, maxDelayMs: 200, maxAttempts: 1000 }, breaker: { volumeThreshold: 1000 } },
        },
      ],
    }).start();
  });
  afterAll(async () => {
    await fixture.close();
    await sink.stop();
  });

  it('stops a reshaped delivery of a person suppressed by email after it was queued', async () => {
    const event = track('late-1', { userId: 'u-late', traits: { email: 'late@example.com' } });
    expect((await fixture.send('/v1/track', event, { auth: WEB })).status).toBe(200);
    await sink.waitFor(() => eventsAt(sink, '/slim').some((e) => e.messageId === 'late-1'), 15_000, 'a first, failing attempt');
    const headers = { authorization: `Bearer ${ADMIN}` };
    expect((await fixture.send('/admin/v1/suppressions', { identity_type: 'email', identity_value: 'late@example.com' }, { headers })).status).toBe(201);
    const attempts = sink.requests.length;
    up = true;
    await fixture.drained();
    expect(sink.requests.slice(attempts).flatMap((r) => (r.rawBody.includes('late-1') ? [r] : []))).toEqual([]);
    const trace = (await fixture.send('/admin/v1/trace/late-1', undefined, { method: 'GET', headers })).json.trace.steps as Array<Record<string, string>>;
    expect(trace).toContainEqual(expect.objectContaining({ stage: 'delivery', connection: 'slim', outcome: 'dropped_by_privacy' }));
  });
});

describe('invalid filters', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'switchyard-filters-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const problemsOf = async (filters: unknown[]) => {
    const file = join(dir, 'switchyard.yaml');
    writeFileSync(
      file,
      stringify({
        sources: [{ id: 'web', type: 'segment', writeKey: 'wk_web' }],
        connections: [
          { id: 'first', connector: 'webhook', settings: { url: 'http://127.0.0.1:9/a' } },
          { id: 'second', connector: 'webhook', settings: { url: 'http://127.0.0.1:9/b' } },
          { id: 'third', connector: 'webhook', settings: { url: 'http://127.0.0.1:9/c' }, filters },
        ],
      }),
    );
    try {
      await loadConfig(file, {});
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as ConfigError).problems;
    }
    throw new Error('expected the config to be refused');
  };

  it('names the JSON path of a wrong operand inside a condition and what to write', async () => {
    expect(
      await problemsOf([
        {
          sample: { percent: 10 },
          when: {
            all: [
              { field: 'a', exists: true },
              { field: 'b', gt: 'ten' },
            ],
          },
        },
      ]),
    ).toEqual(['connections[2].filters[0].when.all[1].gt: expected a number, e.g. gt: 18']);
    expect(await problemsOf([{ drop: { field: 'event', eq: 'x' } }])).toEqual([
      expect.stringMatching(/^connections\[2\]\.filters\[0\]\.drop: unknown operator "eq"; use one of equals/),
    ]);
  });

  it('refuses unsafe patterns, unknown or missing kinds, bad percentages and fields that must stay', async () => {
    expect(await problemsOf([{ drop: { field: 'event', matches: '(a+)+' } }])).toEqual([
      expect.stringMatching(/^connections\[2\]\.filters\[0\]\.drop\.matches: .*exponential time/),
    ]);
    expect(await problemsOf([{ sampel: { percent: 5 } }])).toEqual(['connections[2].filters[0]: unknown property "sampel"']);
    expect(await problemsOf([{ when: { field: 'event', exists: true } }])).toEqual([
      'connections[2].filters[0]: names no filter; write one of drop, sample, dropFields, keepFields (docs/filters.md)',
    ]);
    expect(await problemsOf([{ sample: { percent: 0 } }])).toEqual([expect.stringMatching(/^connections\[2\]\.filters\[0\]\.sample\.percent: must be > 0/)]);
    expect(await problemsOf([{ dropFields: ['context.ip', 'messageId', 'identities.email'] }])).toEqual([
      expect.stringMatching(/^connections\[2\]\.filters\[0\]\.dropFields\[1\]: messageId cannot be removed: .*always stay/),
      expect.stringMatching(/^connections\[2\]\.filters\[0\]\.dropFields\[2\]: identities\.email cannot be removed: .*mapping/),
    ]);
    expect(await problemsOf([{ keepFields: ['properties..total'] }])).toEqual([
      expect.stringMatching(/^connections\[2\]\.filters\[0\]\.keepFields\[0\]: .*empty segment/),
    ]);
    expect(await problemsOf([{ drop: { field: 'a', exists: true }, when: { field: 'b', exists: true } }])).toEqual([
      'connections[2].filters[0]: unknown property "when"',
    ]);
  });
});
