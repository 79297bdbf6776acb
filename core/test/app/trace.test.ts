import { randomUUID } from 'node:crypto';
import { until } from '../helpers/deliveries.js';
import { HttpSink } from '../helpers/http-sink.js';
import { RouterFixture } from '../helpers/router.js';

const ADMIN = 'admin-token-trace-0000001';

describe('trace by messageId', () => {
  let sink: HttpSink;
  let fixture: RouterFixture;
  beforeAll(async () => {
    sink = await new HttpSink().start();
    sink.responder = (r) => ({ status: r.path.startsWith('/down') ? 503 : 200 });
    fixture = await new RouterFixture({
      admin: { tokens: [ADMIN] },
      privacy: { purposes: [{ id: 'marketing', segmentCategories: ['Marketing'] }] },
      sources: [
        { id: 'web', type: 'segment', writeKey: 'wk_web' },
        { id: 'app', type: 'segment', writeKey: 'wk_app' },
      ],
      connections: [
        { id: 'crm', connector: 'webhook', settings: { url: `${sink.url}/crm` } },
        { id: 'news', connector: 'webhook', consent: { purposes: ['marketing'] }, settings: { url: `${sink.url}/news` } },
        { id: 'app-only', connector: 'webhook', sources: ['app'], settings: { url: `${sink.url}/app` } },
        { id: 'muted', connector: 'webhook', settings: { url: `${sink.url}/muted` } },
        { id: 'down', connector: 'webhook', settings: { url: `${sink.url}/down` }, delivery: { retry: { maxAttempts: 1 } } },
      ],
    }).start();
  });
  afterAll(async () => {
    await fixture.close();
    await sink.stop();
  });

  const admin = (method: string, path: string, body?: unknown) => fixture.send(path, body, { method, headers: { authorization: `Bearer ${ADMIN}` } });
  const traceOf = async (messageId: string) =>
    (await admin('GET', `/admin/v1/trace/${messageId}`)).json.trace as { sourceId: string; steps: Array<Record<string, string>> };

  it('says where an event went, why each other connection did not get it, and every attempt', async () => {
    const messageId = randomUUID();
    const event = {
      userId: 'u-ada',
      event: 'Viewed',
      messageId,
      integrations: { muted: false },
      context: { consent: { categoryPreferences: { Marketing: false } } },
    };
    expect((await fixture.send('/v1/track', event, { auth: 'wk_web:' })).status).toBe(200);
    await until(async () => (await traceOf(messageId)).steps.some((s) => s.connection === 'down' && s.stage === 'delivery'), 'the failing delivery to settle');
    await until(async () => (await traceOf(messageId)).steps.some((s) => s.connection === 'crm' && s.outcome === 'delivered'), 'the delivery');

    const trace = await traceOf(messageId);
    expect(trace.sourceId).toBe('web');
    const outcomes = trace.steps.map((s) => `${s.stage} ${s.connection ?? ''} ${s.outcome}${s.reason ? ` ${s.reason}` : ''}`.replace(/ +/g, ' '));
    expect(outcomes).toEqual(
      expect.arrayContaining([
        'routing crm queued',
        'routing down queued',
        'routing news skipped consent:marketing',
        'routing app-only skipped source',
        'routing muted skipped integrations',
        'delivery crm delivered',
        'delivery down dead_lettered HTTP_503',
      ]),
    );
    expect(outcomes.filter((o) => o.startsWith('routing'))).toHaveLength(5);
  });

  it('records drops before routing (suppressed, duplicate) and answers 404 for an unknown id', async () => {
    expect((await admin('POST', '/admin/v1/suppressions', { identity_type: 'user_id', identity_value: 'u-gone' })).status).toBe(201);
    const gone = randomUUID();
    expect((await fixture.send('/v1/track', { userId: 'u-gone', event: 'Viewed', messageId: gone }, { auth: 'wk_web:' })).status).toBe(200);
    expect((await traceOf(gone)).steps.map((s) => `${s.stage} ${s.outcome}`)).toEqual(['dropped suppressed']);

    const twice = randomUUID();
    for (let i = 0; i < 2; i += 1)
      expect((await fixture.send('/v1/track', { userId: 'u-bob', event: 'Viewed', messageId: twice }, { auth: 'wk_web:' })).status).toBe(200);
    expect((await traceOf(twice)).steps.map((s) => `${s.stage} ${s.outcome}`)).toContain('dropped duplicate');

    const unknown = await admin('GET', `/admin/v1/trace/${randomUUID()}`);
    expect(unknown.status).toBe(404);
    expect(unknown.json.error.message).toMatch(/last 10,000 events/);
  });
});
