import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { until } from '../helpers/deliveries.js';
import { HttpSink } from '../helpers/http-sink.js';
import { LiveStream } from '../helpers/live-stream.js';
import { RouterFixture } from '../helpers/router.js';

const ADMIN = 'admin-token-live-00000001';
const SHARED_SECRET = 'webhook-shared-secret-0042';
const API_KEY = 'vendor-api-key-0000000077';

const itemsOf = (attempt: Record<string, unknown>) => attempt.items as Array<Record<string, unknown>>;
const exchangesOf = (attempt: Record<string, unknown>) => attempt.exchanges as Array<Record<string, any>>;
const hasItem = (messageId: string) => (data: Record<string, unknown>) => itemsOf(data).some((item) => item.messageId === messageId);

describe('live view (GET /admin/v1/live)', () => {
  let sink: HttpSink;
  let fixture: RouterFixture;
  const streams: LiveStream[] = [];
  beforeAll(async () => {
    sink = await new HttpSink().start();
    // The destination echoes a credential back: the live view must not show it.
    sink.responder = (r) =>
      r.path.startsWith('/down') ? { status: 503, body: { error: 'maintenance', echo: SHARED_SECRET } } : { status: 200, body: { ok: true } };
    fixture = await new RouterFixture({
      admin: { tokens: [ADMIN] },
      sources: [
        { id: 'web', type: 'segment', writeKey: 'wk_web' },
        { id: 'app', type: 'segment', writeKey: 'wk_app' },
      ],
      connections: [
        { id: 'crm', connector: 'webhook', settings: { url: `${sink.url}/crm`, sharedSecret: SHARED_SECRET, headers: { 'x-api-key': API_KEY } } },
        { id: 'down', connector: 'webhook', settings: { url: `${sink.url}/down`, sharedSecret: SHARED_SECRET }, delivery: { retry: { maxAttempts: 1 } } },
      ],
    }).start();
  });
  afterEach(() => {
    for (const stream of streams.splice(0)) stream.close();
  });
  afterAll(async () => {
    await fixture.close();
    await sink.stop();
  });

  const open = async (query = '') => {
    const stream = await LiveStream.open(`${fixture.url}/admin/v1/live${query}`, ADMIN);
    streams.push(stream);
    return stream;
  };
  const track = (body: Record<string, unknown>, writeKey = 'wk_web') => fixture.send('/v1/track', body, { auth: `${writeKey}:` });

  it('is behind the admin token', async () => {
    expect((await fetch(`${fixture.url}/admin/v1/live`)).status).toBe(401);
    expect((await fetch(`${fixture.url}/admin/v1/live`, { headers: { authorization: 'Bearer wrong-token-000000000' } })).status).toBe(403);
    const bad = await fetch(`${fixture.url}/admin/v1/live?kind=everything`, { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/kind/);
  });

  it('announces the sources and connections, then shows an inbound event and each attempt with its request and response, secrets removed', async () => {
    const stream = await open();
    expect(stream.of('hello')[0]).toMatchObject({ sources: ['web', 'app'], connections: ['crm', 'down'] });
    const messageId = randomUUID();
    expect((await track({ userId: 'u-live', event: 'Order Completed', messageId, properties: { total: 42 } })).status).toBe(200);

    const inbound = await stream.next('inbound', (d) => d.messageId === messageId, 'the inbound event');
    expect(inbound).toMatchObject({ source: 'web', type: 'track', event: 'Order Completed', outcome: 'routed', connections: ['crm', 'down'] });
    expect(inbound.body).toMatchObject({ userId: 'u-live', properties: { total: 42 } });

    const delivered = await stream.next('attempt', (d) => d.connection === 'crm' && hasItem(messageId)(d), 'the crm attempt');
    expect(itemsOf(delivered)).toContainEqual({ messageId, outcome: 'delivered' });
    const [exchange] = exchangesOf(delivered);
    expect(exchange).toMatchObject({ method: 'POST', url: `${sink.url}/crm`, status: 200, response: { body: '{"ok":true}' } });
    expect(exchange.request.body).toContain(messageId);
    expect(exchange.request.headers['x-api-key']).toBe('[REDACTED]');
    expect(exchange.durationMs).toBeGreaterThanOrEqual(0);

    const failed = await stream.next('attempt', (d) => d.connection === 'down' && hasItem(messageId)(d), 'the failed attempt');
    expect(itemsOf(failed)).toContainEqual(expect.objectContaining({ messageId, outcome: 'dead_lettered', code: 'HTTP_503', httpStatus: 503 }));
    expect(exchangesOf(failed)[0]).toMatchObject({ status: 503 });
    const everything = JSON.stringify(stream.messages);
    expect(everything).not.toContain(SHARED_SECRET);
    expect(everything).not.toContain(API_KEY);
    expect(everything).toContain('[REDACTED]');
  });

  it('masks personal data on request, in the event and in the exchanges', async () => {
    const stream = await open('?mask=pii&connection=crm');
    const messageId = randomUUID();
    const email = 'ada.lovelace@example.com';
    const event = {
      userId: 'u-mask',
      event: 'Signed Up',
      messageId,
      context: { ip: '203.0.113.9' },
      properties: { email, phone: '+44 20 7946 0958', plan: 'pro' },
    };
    expect((await track(event)).status).toBe(200);
    const inbound = await stream.next('inbound', (d) => d.messageId === messageId, 'the inbound event');
    expect(inbound.body).toMatchObject({ userId: 'u-mask', properties: { email: '***', phone: '***', plan: 'pro' }, context: { ip: '***' } });
    const attempt = await stream.next('attempt', hasItem(messageId), 'the attempt');
    const sent = JSON.parse(exchangesOf(attempt)[0]!.request.body as string) as Record<string, any>;
    expect(sent).toMatchObject({ messageId, userId: 'u-mask', properties: { email: '***', plan: 'pro' } });
    const everything = JSON.stringify(stream.messages);
    for (const personal of [email, '203.0.113.9', '7946']) expect(everything).not.toContain(personal);
  });

  it('filters by source and by connection', async () => {
    const appOnly = await open('?source=app&kind=inbound');
    const downOnly = await open('?connection=down&kind=attempt');
    const fromWeb = randomUUID();
    const fromApp = randomUUID();
    expect((await track({ userId: 'u-f', event: 'A', messageId: fromWeb })).status).toBe(200);
    expect((await track({ userId: 'u-f', event: 'B', messageId: fromApp }, 'wk_app')).status).toBe(200);
    await appOnly.next('inbound', (d) => d.messageId === fromApp, 'the app event');
    await downOnly.next('attempt', hasItem(fromWeb), 'the attempt to down');
    await downOnly.next('attempt', hasItem(fromApp), 'the second attempt to down');
    expect(appOnly.of('inbound').map((d) => d.source)).toEqual(['app']);
    expect(appOnly.of('attempt')).toEqual([]);
    expect(new Set(downOnly.of('attempt').map((d) => d.connection))).toEqual(new Set(['down']));
    expect(downOnly.of('inbound')).toEqual([]);
  });

  it('samples inbound events per source and second', async () => {
    const stream = await open('?kind=inbound&rate=2');
    const batch = Array.from({ length: 30 }, (_, i) => ({ type: 'track', userId: `u-s${i}`, event: 'Sampled', messageId: randomUUID() }));
    expect((await fixture.send('/v1/batch', { batch }, { auth: 'wk_web:' })).status).toBe(200);
    const last = batch.at(-1)!.messageId;
    // Deliveries of the whole batch prove its routing decisions have all been made.
    await until(() => sink.requests.some((r) => r.rawBody.includes(last)), 'the batch to be delivered');
    const seen = stream.of('inbound', (d) => d.event === 'Sampled').length;
    expect(seen).toBeGreaterThanOrEqual(1);
    expect(seen).toBeLessThanOrEqual(4); // at most 2 a second, and a batch may straddle one second boundary
  });

  it('ends open streams when the router stops, and spare sockets do not hold the shutdown', async () => {
    const own = await new RouterFixture({ admin: { tokens: [ADMIN] }, sources: [{ id: 'web', type: 'segment', writeKey: 'wk_web' }], connections: [] }).start();
    const stream = await LiveStream.open(`${own.url}/admin/v1/live`, ADMIN);
    // A connection opened and never used, as browsers open spare ones: the server would wait for its headers timeout.
    const spare = connect(Number(new URL(own.url).port), '127.0.0.1');
    const spareClosed = new Promise((resolve) => spare.once('close', resolve));
    await new Promise((resolve) => spare.once('connect', resolve));
    await own.close();
    await until(() => stream.ended, 'the stream to end');
    await spareClosed;
  });
});
