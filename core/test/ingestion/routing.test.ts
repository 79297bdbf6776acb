import { HttpSink } from '../helpers/http-sink.js';
import { RouterFixture } from '../helpers/router.js';

const WEB = 'wk_web:';
const track = (messageId: string, extra: Record<string, unknown> = {}) => ({ type: 'track', userId: 'u1', event: 'Clicked', messageId, ...extra });

describe('fan-out from ingestion to connections', () => {
  let alpha: HttpSink;
  let beta: HttpSink;
  let fixture: RouterFixture;

  beforeAll(async () => {
    alpha = await new HttpSink().start();
    beta = await new HttpSink().start();
    fixture = await new RouterFixture({
      sources: [
        { id: 'web', type: 'segment', writeKey: 'wk_web' },
        { id: 'kids', type: 'segment', writeKey: 'wk_kids', ipCollection: false },
      ],
      connections: [
        { id: 'alpha', connector: 'webhook', sources: ['web', 'kids'], settings: { url: `${alpha.url}/a` } },
        { id: 'beta', connector: 'webhook', sources: ['web'], settings: { url: `${beta.url}/b` } },
      ],
    }).start();
  });
  afterAll(async () => {
    await fixture.close();
    await alpha.stop();
    await beta.stop();
  });

  it('sends each event to the connections listening to its source', async () => {
    await fixture.send('/v1/track', track('src-1'), { auth: 'wk_kids:' });
    await fixture.send('/v1/track', track('src-2'), { auth: WEB });
    await alpha.waitFor(() => alpha.messageIds().includes('src-1') && alpha.messageIds().includes('src-2'));
    await beta.waitFor(() => beta.messageIds().includes('src-2'));
    await fixture.drained();
    expect(beta.messageIds()).not.toContain('src-1');
  });

  it('honours the integrations object: All:false sends only to the ones named true', async () => {
    await fixture.send(
      '/v1/batch',
      {
        batch: [track('int-1', { integrations: { All: false, Beta: true } }), track('int-2', { integrations: { alpha: false } })],
      },
      { auth: WEB },
    );
    await beta.waitFor(() => beta.messageIds().includes('int-1') && beta.messageIds().includes('int-2'));
    await fixture.drained();
    expect(alpha.messageIds()).not.toContain('int-1');
    expect(alpha.messageIds()).not.toContain('int-2');
  });

  it('drops duplicate messageIds within the window and counts them', async () => {
    const before = fixture.router.intake.stats.get('web', 'duplicates');
    await fixture.send('/v1/batch', { batch: [track('dup-1'), track('dup-1')] }, { auth: WEB });
    await fixture.send('/v1/track', track('dup-1'), { auth: WEB });
    await alpha.waitFor(() => alpha.messageIds().includes('dup-1'));
    await fixture.drained();
    expect(alpha.messageIds().filter((id) => id === 'dup-1')).toHaveLength(1);
    expect(fixture.router.intake.stats.get('web', 'duplicates') - before).toBe(2);
  });

  it('removes the IP everywhere for a source with ipCollection: false (COPPA)', async () => {
    await fixture.send('/v1/track', track('coppa-1', { context: { ip: '203.0.113.9', device: { ip_address: '203.0.113.9' } } }), { auth: 'wk_kids:' });
    await alpha.waitFor(() => alpha.messageIds().includes('coppa-1'));
    const delivered = alpha.requests.find((r) => (r.body as { messageId: string }).messageId === 'coppa-1')!;
    expect(delivered.rawBody).not.toContain('203.0.113.9');
    expect(delivered.rawBody).not.toContain('127.0.0.1');
    // Both events from the kids source so far had an IP (the request's own address at least).
    fixture.router.privacy.audit.flush();
    expect(fixture.router.privacy.audit.rows({ sourceId: 'kids' })).toContainEqual(expect.objectContaining({ decision: 'ip_stripped', count: 2 }));
  });

  it('fills context.ip from the request for other sources, as Segment does', async () => {
    await fixture.send('/v1/track', track('ip-1'), { auth: WEB });
    await alpha.waitFor(() => alpha.messageIds().includes('ip-1'));
    const delivered = alpha.requests.find((r) => (r.body as { messageId: string }).messageId === 'ip-1')!;
    expect((delivered.body as { context: { ip: string } }).context.ip).toBe('127.0.0.1');
  });

  it('adds city, region, country and timezone from coordinates before fan-out', async () => {
    await fixture.send('/v1/track', track('geo-1', { context: { location: { latitude: 48.8566, longitude: 2.3522 } } }), { auth: WEB });
    await alpha.waitFor(() => alpha.messageIds().includes('geo-1'));
    await beta.waitFor(() => beta.messageIds().includes('geo-1'));
    for (const sink of [alpha, beta]) {
      const body = sink.requests.find((r) => (r.body as { messageId: string }).messageId === 'geo-1')!.body as {
        context: { location: Record<string, unknown> };
      };
      expect(body.context.location).toMatchObject({ city: 'Paris', country: 'FR', timezone: 'Europe/Paris', latitude: 48.8566 });
    }
  });

  it('acknowledges only after the events are durably queued', async () => {
    await fixture.drained();
    const depthBefore = await fixture.router.queue.depth();
    alpha.responder = () => ({ status: 503 });
    try {
      const response = await fixture.send('/v1/track', track('durable-1'), { auth: WEB });
      expect(response.status).toBe(200);
      // alpha refuses every attempt, so at acknowledgement its delivery can only be in the durable queue.
      const depth = await fixture.router.queue.depth();
      expect((depth.alpha ?? 0) - (depthBefore.alpha ?? 0)).toBe(1);
    } finally {
      alpha.responder = () => ({ status: 200 });
    }
    await fixture.drained();
  });
});
