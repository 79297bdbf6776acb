import { accepted, trackEvent } from '../helpers/events.js';
import { useSinkAndRuntime } from '../helpers/runtime.js';

const fastRetry = { retry: { baseDelayMs: 20, maxDelayMs: 100, maxAttempts: 3 } };

describe('delivery runtime with the webhook connector', () => {
  const t = useSinkAndRuntime();

  it('delivers every accepted event once, each carrying its messageId as idempotency key', async () => {
    await t.fixture.connect([{ id: 'hook', connector: 'webhook', settings: { url: `${t.sink.url}/hook` } }]);
    const events = Array.from({ length: 25 }, () => trackEvent());
    await t.fixture.runtime.accept(events.map((e) => accepted(e, ['hook'])));

    await t.sink.waitFor(() => t.sink.requests.length >= 25);
    expect(t.sink.messageIds().sort()).toEqual(events.map((e) => e.messageId).sort());
    for (const request of t.sink.requests) {
      expect(request.headers['idempotency-key']).toBe((request.body as { messageId: string }).messageId);
    }
    await t.fixture.until(() => t.fixture.delivered('hook').length === 25);
    expect(await t.fixture.queue.depth()).toEqual({});
  });

  it('retries a 503 with backoff and delivers when the destination recovers', async () => {
    t.sink.responder = (_r, i) => (i < 2 ? { status: 503 } : { status: 200 });
    await t.fixture.connect([{ id: 'hook', connector: 'webhook', settings: { url: t.sink.url }, delivery: fastRetry }]);
    const event = trackEvent();
    await t.fixture.runtime.accept([accepted(event, ['hook'])]);

    await t.fixture.until(() => t.fixture.delivered('hook').includes(event.messageId));
    expect(t.sink.messageIds()).toEqual([event.messageId, event.messageId, event.messageId]);
    expect(t.fixture.runtime.stats().hook).toMatchObject({ delivered: 1, retried: 2, deadLettered: 0 });
  });

  it('waits for Retry-After on a 429 without burning an attempt', async () => {
    // maxAttempts 1: a burnt attempt would dead-letter at once, so delivery proves 429 did not count.
    t.sink.responder = (_r, i) => (i === 0 ? { status: 429, headers: { 'retry-after': '1' } } : { status: 200 });
    await t.fixture.connect([
      {
        id: 'hook',
        connector: 'webhook',
        settings: { url: t.sink.url },
        delivery: { retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1 } },
      },
    ]);
    const event = trackEvent();
    await t.fixture.runtime.accept([accepted(event, ['hook'])]);

    await t.fixture.until(() => t.fixture.delivered('hook').length === 1);
    expect(t.sink.requests).toHaveLength(2);
    expect(t.sink.requests[1]!.receivedAt - t.sink.requests[0]!.receivedAt).toBeGreaterThanOrEqual(950);
    expect(t.fixture.runtime.stats().hook).toMatchObject({ rateLimited: 1, deadLettered: 0 });
  });

  it('dead-letters a permanent 4xx with the reason, then replays it once the destination accepts it', async () => {
    let accepting = false;
    t.sink.responder = () => (accepting ? { status: 200 } : { status: 422, body: { error: 'unknown field total' } });
    await t.fixture.connect([{ id: 'hook', connector: 'webhook', settings: { url: t.sink.url }, delivery: fastRetry }]);
    const event = trackEvent();
    await t.fixture.runtime.accept([accepted(event, ['hook'])]);

    await t.fixture.until(() => t.fixture.deadLettered('hook').length === 1);
    const [letter] = await t.fixture.runtime.listDeadLetters({ connectionId: 'hook' });
    expect(letter).toMatchObject({
      connectionId: 'hook',
      messageId: event.messageId,
      attempts: 1,
      error: { status: 'permanent', code: 'HTTP_422', httpStatus: 422 },
    });
    expect(letter!.error.message).toContain('unknown field total');
    expect(letter!.deadAt).toBeGreaterThanOrEqual(letter!.enqueuedAt);

    accepting = true;
    expect(await t.fixture.runtime.replayDeadLetters({ connectionId: 'hook' })).toBe(1);
    await t.fixture.until(() => t.fixture.delivered('hook').includes(event.messageId));
    expect(await t.fixture.runtime.listDeadLetters()).toEqual([]);
  });

  it('dead-letters after max attempts of retryable failures and purges on request', async () => {
    t.sink.responder = () => ({ status: 500 });
    await t.fixture.connect([{ id: 'hook', connector: 'webhook', settings: { url: t.sink.url }, delivery: fastRetry }]);
    const event = trackEvent();
    await t.fixture.runtime.accept([accepted(event, ['hook'])]);

    await t.fixture.until(() => t.fixture.deadLettered('hook').length === 1);
    expect(t.sink.requests).toHaveLength(3);
    const [letter] = await t.fixture.runtime.listDeadLetters();
    expect(letter).toMatchObject({ attempts: 3, error: { status: 'retryable', code: 'HTTP_500' } });
    expect(await t.fixture.runtime.purgeDeadLetters({ ids: [letter!.id] })).toBe(1);
    expect(await t.fixture.runtime.listDeadLetters()).toEqual([]);
  });

  it('dead-letters on 401 and marks the connection unhealthy until a delivery succeeds', async () => {
    t.sink.responder = (_r, i) => (i === 0 ? { status: 401 } : { status: 200 });
    await t.fixture.connect([{ id: 'hook', connector: 'webhook', settings: { url: t.sink.url }, delivery: { batch: { maxItems: 1 } } }]);
    const first = trackEvent();
    await t.fixture.runtime.accept([accepted(first, ['hook'])]);
    await t.fixture.until(() => t.fixture.deadLettered('hook').length === 1);
    expect(t.fixture.runtime.stats().hook).toMatchObject({ health: 'unhealthy' });
    expect(t.fixture.runtime.stats().hook!.healthReason).toContain('HTTP 401');

    await t.fixture.runtime.accept([accepted(trackEvent(), ['hook'])]);
    await t.fixture.until(() => t.fixture.delivered('hook').length === 1);
    expect(t.fixture.runtime.stats().hook).toMatchObject({ health: 'healthy' });
  });

  it('sends {"batch":[…]} bodies and retries only the items a partial failure names', async () => {
    let firstBatch = true;
    t.sink.responder = () => {
      if (!firstBatch) return { status: 200 };
      firstBatch = false;
      return {
        status: 200,
        body: {
          errors: [
            { index: 1, status: 503, message: 'shard busy' },
            { index: 2, status: 400, message: 'bad email' },
          ],
        },
      };
    };
    await t.fixture.connect([
      {
        id: 'hook',
        connector: 'webhook',
        settings: { url: t.sink.url, batching: true },
        delivery: { ...fastRetry, batch: { maxItems: 10, maxWaitMs: 200 } },
      },
    ]);
    const events = Array.from({ length: 4 }, () => trackEvent());
    await t.fixture.runtime.accept(events.map((e) => accepted(e, ['hook'])));

    await t.fixture.until(() => t.fixture.delivered('hook').length === 3 && t.fixture.deadLettered('hook').length === 1);
    const first = t.sink.requests[0]!.body as { batch: Array<{ messageId: string }> };
    expect(first.batch.map((e) => e.messageId)).toEqual(events.map((e) => e.messageId));
    expect(t.sink.requests).toHaveLength(2);
    const second = t.sink.requests[1]!.body as { batch: Array<{ messageId: string }> };
    expect(second.batch.map((e) => e.messageId)).toEqual([events[1]!.messageId]);
    expect(t.fixture.deadLettered('hook')).toEqual([events[2]!.messageId]);
  });

  it('signs each body with HMAC-SHA256 when a shared secret is set', async () => {
    const { verifySignature } = await import('@switchyard/connector-webhook');
    await t.fixture.connect([{ id: 'hook', connector: 'webhook', settings: { url: t.sink.url, sharedSecret: 'sh4red-s3cret' } }]);
    await t.fixture.runtime.accept([accepted(trackEvent(), ['hook'])]);
    await t.sink.waitFor(() => t.sink.requests.length === 1);
    const [request] = t.sink.requests;
    expect(verifySignature(request!.rawBody, request!.headers['x-switchyard-signature'] as string, 'sh4red-s3cret')).toBe(true);
    expect(verifySignature(request!.rawBody, request!.headers['x-switchyard-signature'] as string, 'another-secret')).toBe(false);
  });

  it('holds a connection to its ratePerSecond', async () => {
    await t.fixture.connect([
      {
        id: 'hook',
        connector: 'webhook',
        settings: { url: t.sink.url },
        delivery: { ratePerSecond: 4, batch: { maxItems: 1 } },
      },
    ]);
    // One delivery first, so that the worker's start-up (slow on a loaded machine) is not inside the intervals measured.
    await t.fixture.runtime.accept([accepted(trackEvent(), ['hook'])]);
    await t.sink.waitFor(() => t.sink.requests.length === 1);
    await t.fixture.runtime.accept(Array.from({ length: 12 }, () => accepted(trackEvent(), ['hook'])));
    await t.sink.waitFor(() => t.sink.requests.length === 13);
    // Four requests per one-second interval: two requests eight apart have a whole interval between them.
    expect(t.sink.requests[9]!.receivedAt - t.sink.requests[1]!.receivedAt).toBeGreaterThanOrEqual(900);
  });

  it('splits micro-batches by maxBytes as well as maxItems', async () => {
    await t.fixture.connect([
      {
        id: 'hook',
        connector: 'webhook',
        settings: { url: t.sink.url, batching: true },
        delivery: { batch: { maxItems: 50, maxBytes: 1500, maxWaitMs: 200 } },
      },
    ]);
    const events = Array.from({ length: 6 }, () => trackEvent({ properties: { padding: 'x'.repeat(400) } }));
    await t.fixture.runtime.accept(events.map((e) => accepted(e, ['hook'])));
    await t.sink.waitFor(() => t.sink.messageIds().length === 6);
    const sizes = t.sink.requests.map((r) => (r.body as { batch: unknown[] }).batch.length);
    expect(sizes.every((n) => n <= 2)).toBe(true);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(6);
  });
});
