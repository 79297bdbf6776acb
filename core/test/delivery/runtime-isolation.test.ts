import { HttpSink } from '../helpers/http-sink.js';
import { accepted, trackEvent } from '../helpers/events.js';
import { RuntimeFixture, useSinkAndRuntime } from '../helpers/runtime.js';
import { StallingServer } from '../helpers/stalling-server.js';

const API_KEY = 'sk_live_9f8e7d6c5b4a';

describe('delivery runtime isolation and fences', () => {
  const t = useSinkAndRuntime();

  async function connectMisbehaving(extra: Record<string, unknown> = {}) {
    await t.fixture.connect([
      {
        id: 'bad',
        connector: './misbehaving',
        settings: { url: `${t.sink.url}/bad`, apiKey: API_KEY },
        delivery: {
          retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 20 },
          // Room for a cold worker on a loaded machine: a first task that times out would be retried (attempts: 2).
          workers: { taskTimeoutMs: 5000, maxOldGenerationSizeMb: 32 },
          breaker: { volumeThreshold: 100 },
          ...extra,
        },
      },
      { id: 'good', connector: 'webhook', settings: { url: `${t.sink.url}/good` } },
    ]);
  }

  // Running out of memory takes longer than the hang's timeout on a loaded machine (GC thrashes near the limit: a CI run under load took over 15 s),
  // and the test sees two worker deaths and two cold starts: it gets far more than jest's default 30 s.
  it.each([
    ['hang', 'TASK_TIMEOUT', 1000],
    ['oom', 'WORKER_OUT_OF_MEMORY', 60_000],
  ])(
    'a connector that %ss loses its worker, is dead-lettered with %s, and other connections keep delivering',
    async (behaviour, code, taskTimeoutMs) => {
      await connectMisbehaving({ workers: { taskTimeoutMs, maxOldGenerationSizeMb: 32 } });
      const bad = trackEvent({ properties: { behaviour } });
      await t.fixture.runtime.accept([accepted(bad, ['bad'])]);
      const good = Array.from({ length: 10 }, () => trackEvent());
      await t.fixture.runtime.accept(good.map((e) => accepted(e, ['good'])));

      await t.fixture.until(() => t.fixture.delivered('good').length === 10, 20_000, 'the healthy connection');
      await t.fixture.until(() => t.fixture.deadLettered('bad').length === 1, 150_000, 'the misbehaving connection to give up');
      const [letter] = await t.fixture.runtime.listDeadLetters({ connectionId: 'bad' });
      expect(letter).toMatchObject({ messageId: bad.messageId, attempts: 2, error: { status: 'retryable', code } });

      // The replaced worker still serves the connection.
      const ok = trackEvent({ properties: { behaviour: 'ok' } });
      await t.fixture.runtime.accept([accepted(ok, ['bad'])]);
      await t.fixture.until(() => t.fixture.delivered('bad').includes(ok.messageId), 20_000, 'the replaced worker');
    },
    300_000,
  );

  it('a connector that throws has the throw classified retryable, with its secret scrubbed from the error', async () => {
    await connectMisbehaving();
    const event = trackEvent({ properties: { behaviour: 'throw' } });
    await t.fixture.runtime.accept([accepted(event, ['bad'])]);

    await t.fixture.until(() => t.fixture.deadLettered('bad').length === 1);
    const [letter] = await t.fixture.runtime.listDeadLetters();
    expect(letter!.error).toMatchObject({ status: 'retryable', code: 'CONNECTOR_THREW' });
    expect(letter!.error.message).toContain('cannot use key [REDACTED]');
    expect(JSON.stringify(letter)).not.toContain(API_KEY);
  });

  it('refuses a request to a host outside the egress list and dead-letters it as EGRESS_DENIED', async () => {
    await connectMisbehaving();
    const event = trackEvent({ properties: { behaviour: 'egress' } });
    await t.fixture.runtime.accept([accepted(event, ['bad'])]);

    await t.fixture.until(() => t.fixture.deadLettered('bad').length === 1);
    const [letter] = await t.fixture.runtime.listDeadLetters();
    expect(letter!.error).toMatchObject({ status: 'permanent', code: 'EGRESS_DENIED' });
    expect(letter!.error.message).toContain('127.0.0.2');
    expect(letter!.attempts).toBe(1);
  });
});

describe('circuit breaker', () => {
  const t = useSinkAndRuntime();

  it('opens on a failing destination, probes half-open, and closes when it recovers', async () => {
    let healthy = false;
    t.sink.responder = () => (healthy ? { status: 200 } : { status: 503 });
    await t.fixture.connect([
      {
        id: 'hook',
        connector: 'webhook',
        settings: { url: t.sink.url },
        delivery: {
          maxConcurrency: 1,
          batch: { maxItems: 1 },
          retry: { maxAttempts: 100, baseDelayMs: 1, maxDelayMs: 5 },
          breaker: { volumeThreshold: 3, errorThresholdPercentage: 50, resetTimeoutMs: 300 },
        },
      },
    ]);
    const events = Array.from({ length: 5 }, () => trackEvent());
    await t.fixture.runtime.accept(events.map((e) => accepted(e, ['hook'])));

    await t.fixture.until(() => t.fixture.breakerStates.some((s) => s.state === 'open'), 10_000, 'the breaker to open');
    const requestsWhenOpened = t.sink.requests.length;
    expect(t.fixture.runtime.stats().hook!.breaker).toBe('open');
    expect(t.fixture.runtime.stats().hook!.delivered).toBe(0);

    // While open nothing reaches the destination; after resetTimeout one probe goes (and fails) → open again.
    await t.fixture.until(() => t.fixture.breakerStates.filter((s) => s.state === 'half-open').length >= 1, 5_000, 'a half-open probe');
    healthy = true;
    await t.fixture.until(() => t.fixture.breakerStates.some((s) => s.state === 'closed'), 10_000, 'the breaker to close');
    await t.fixture.until(() => t.fixture.delivered('hook').length === 5, 10_000, 'every event after recovery');

    const states = t.fixture.breakerStates.map((s) => s.state);
    expect(states.indexOf('open')).toBeLessThan(states.indexOf('half-open'));
    expect(states.lastIndexOf('half-open')).toBeLessThan(states.lastIndexOf('closed'));
    expect(requestsWhenOpened).toBeLessThan(events.length + 3);
    expect(t.fixture.runtime.stats().hook!.breaker).toBe('closed');
  });
});

describe('graceful shutdown', () => {
  it('hands in-flight deliveries back to the queue so the next runtime delivers them', async () => {
    const sink = await new HttpSink().start();
    let release: () => void = () => undefined;
    const blocker = await new StallingServer(
      new Promise<void>((resolve) => {
        release = resolve;
      }),
    ).start();
    const fixture = new RuntimeFixture();
    try {
      await fixture.connect([
        {
          id: 'hook',
          connector: 'webhook',
          settings: { url: blocker.url, timeoutMs: 60_000 },
          delivery: { drainTimeoutMs: 300 },
        },
      ]);
      const event = trackEvent();
      await fixture.runtime.accept([accepted(event, ['hook'])]);
      await blocker.waitForRequest();
      await fixture.runtime.stop();
      expect(await fixture.queue.depth()).toEqual({ hook: 1 });
      expect(fixture.delivered()).toEqual([]);

      await fixture.connect([{ id: 'hook', connector: 'webhook', settings: { url: sink.url } }]);
      await sink.waitFor(() => sink.messageIds().includes(event.messageId));
      await fixture.until(() => fixture.delivered('hook').includes(event.messageId));
    } finally {
      release();
      await blocker.stop();
      await fixture.close();
      await sink.stop();
    }
  });
});
