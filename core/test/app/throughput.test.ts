import { randomUUID } from 'node:crypto';
import { HttpSink } from '../helpers/http-sink.js';
import { RouterFixture } from '../helpers/router.js';
import { ThroughputHistory, type ThroughputReadings } from '../../src/operations/throughput-history.js';

const ADMIN = 'admin-token-throughput-001';

async function eventually<T>(probe: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(value).slice(0, 1500)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('GET /admin/v1/throughput', () => {
  let sink: HttpSink;
  let fixture: RouterFixture;
  beforeAll(async () => {
    sink = await new HttpSink().start();
    sink.responder = (r) => ({ status: r.path.startsWith('/down') ? 503 : 200 });
    fixture = await new RouterFixture({
      admin: { tokens: [ADMIN] },
      sources: [
        { id: 'web', type: 'segment', writeKey: 'wk_web' },
        { id: 'quiet', type: 'segment', writeKey: 'wk_quiet' },
      ],
      connections: [
        { id: 'up', connector: 'webhook', settings: { url: `${sink.url}/up` } },
        { id: 'down', connector: 'webhook', settings: { url: `${sink.url}/down` }, delivery: { retry: { maxAttempts: 1 } } },
      ],
    }).start();
  });
  afterAll(async () => {
    await fixture.close();
    await sink.stop();
  });

  const throughput = async (query = '') =>
    fixture.send(`/admin/v1/throughput${query}`, undefined, { method: 'GET', headers: { authorization: `Bearer ${ADMIN}` } });

  it('has a sample from the start, with every configured source and connection at zero', async () => {
    const { status, json } = await throughput();
    expect(status).toBe(200);
    expect(json).toMatchObject({ intervalMs: 5000, windowMs: 900_000 });
    expect(json.samples[0]).toEqual({
      at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      sources: { web: { received: 0, accepted: 0, rejected: 0 }, quiet: { received: 0, accepted: 0, rejected: 0 } },
      connections: {
        up: { delivered: 0, retried: 0, deadLettered: 0, dropped: 0, queued: 0, breaker: 'closed' },
        down: { delivered: 0, retried: 0, deadLettered: 0, dropped: 0, queued: 0, breaker: 'closed' },
      },
    });
  });

  it('samples the cumulative counters of sources and connections, refused requests included', async () => {
    for (let i = 0; i < 3; i += 1)
      expect((await fixture.send('/v1/track', { userId: `u-${i}`, event: 'Viewed', messageId: randomUUID() }, { auth: 'wk_web:' })).status).toBe(200);
    expect((await fixture.send('/v1/track', { event: 'no user' }, { auth: 'wk_web:' })).status).toBe(400);
    await fixture.drained();
    const { json } = await eventually(
      () => throughput(),
      (r) => r.json.samples.at(-1).connections.down.deadLettered === 3,
      'a sample after the deliveries settled',
      20_000,
    );
    const last = json.samples.at(-1);
    expect(last.sources).toEqual({ web: { received: 3, accepted: 3, rejected: 1 }, quiet: { received: 0, accepted: 0, rejected: 0 } });
    expect(last.connections.up).toMatchObject({ delivered: 3, deadLettered: 0, queued: 0 });
    expect(last.connections.down).toMatchObject({ delivered: 0, deadLettered: 3 });
    const times = json.samples.map((s: { at: string }) => Date.parse(s.at));
    expect([...times].sort((a, b) => a - b)).toEqual(times);

    const since = await throughput(`?since=${encodeURIComponent(json.samples.at(-2).at)}`);
    expect(since.json.samples).toEqual([last]);
    expect((await throughput(`?since=${encodeURIComponent(last.at)}`)).json.samples).toEqual([]);
  }, 30_000);

  it('refuses a since that is not a date-time, and a request without the admin token', async () => {
    const bad = await throughput('?since=yesterday');
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatchObject({ code: 'INVALID_QUERYSTRING', message: expect.stringContaining('querystring.since') });
    expect((await fixture.send('/admin/v1/throughput', undefined, { method: 'GET' })).status).toBe(401);
  });
});

describe('the throughput ring', () => {
  const readings = (counter: { n: number }): ThroughputReadings => ({
    sourceIds: () => ['web'],
    intake: () => ({ web: { received: (counter.n += 1), accepted: counter.n } }),
    rejected: async () => ({}),
    connections: () => ({}),
    queueDepth: async () => ({}),
  });

  it('keeps only the samples of the window', async () => {
    const history = new ThroughputHistory(readings({ n: 0 }), { intervalMs: 10, windowMs: 30 });
    for (let i = 0; i < 10; i += 1) {
      await history.sample();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const { samples } = history.report();
    expect(samples.length).toBeLessThanOrEqual(4);
    expect(samples.at(-1)!.sources.web!.received).toBe(10);
    expect(Date.parse(samples.at(-1)!.at) - Date.parse(samples[0]!.at)).toBeLessThanOrEqual(30);
  });

  it('samples on its timer until stopped, and skips a sample whose readings fail', async () => {
    const counter = { n: 0 };
    const calls = { reads: 0, failures: 0 };
    let failing = false;
    const history = new ThroughputHistory(
      {
        ...readings(counter),
        queueDepth: async () => {
          calls.reads += 1;
          if (!failing) return {};
          calls.failures += 1;
          throw new Error('the queue is closed');
        },
      },
      { intervalMs: 15 },
    );
    const until = async (done: () => boolean, what: string) => {
      const deadline = Date.now() + 5000;
      while (!done()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    };
    history.start();
    await until(() => history.report().samples.length >= 3, 'three samples from the timer');
    failing = true;
    const before = history.report().samples.length;
    await until(() => calls.failures >= 2, 'two failed readings');
    // One sample may have read its counters before the failures began.
    expect(history.report().samples.length - before).toBeLessThanOrEqual(1);
    failing = false;
    await history.stop();
    const { reads } = calls;
    await new Promise((resolve) => setTimeout(resolve, 100)); // several intervals, to see that none samples
    expect(calls.reads).toBe(reads);
  });
});
