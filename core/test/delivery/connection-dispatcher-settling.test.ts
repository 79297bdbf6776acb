import { jest } from '@jest/globals';
import type { ItemResult } from '@switchyard/sdk-kit';
import type { SettledBatch } from '../../src/delivery/connection-dispatcher.js';
import { event, OK, ScriptedPool, useDispatcher } from './dispatcher-harness.js';
import { readRows } from '../queue/queue-implementations.js';

const unavailable: ItemResult = { status: 'retryable', code: 'HTTP_503', message: 'service unavailable', httpStatus: 503 };

describe('connection dispatcher: settling results', () => {
  const t = useDispatcher();
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('reschedules a retryable failure with growing backoff, counting attempts, and dead-letters it after maxAttempts', async () => {
    // Full jitter picks 99% of each backoff ceiling: 19 ms after the first failure, 39 ms after the second.
    jest.spyOn(Math, 'random').mockReturnValue(0.99);
    const failing = new ScriptedPool(() => [unavailable]);
    const rescheduled: Array<{ attempts: number; waits: number }> = [];
    await t.queue.enqueue([event('a')]);
    t.start({ pool: failing, overrides: { retry: { baseDelayMs: 20, maxDelayMs: 1000, maxAttempts: 3 } } });
    t.dispatcher!.on('settled', (batch: SettledBatch) => {
      if (batch.retried.length === 0) return;
      const [row] = readRows(`${t.dir}/queue.db`, 'SELECT attempts, next_attempt_at FROM deliveries');
      rescheduled.push({ attempts: Number(row!.attempts), waits: Number(row!.next_attempt_at) - failing.calls.at(-1)!.at });
    });

    await t.until(() => t.total('deadLettered').length === 1);
    expect(rescheduled.map((r) => r.attempts)).toEqual([1, 2]);
    expect(rescheduled[0]!.waits).toBeGreaterThanOrEqual(19);
    expect(rescheduled[1]!.waits).toBeGreaterThanOrEqual(39);
    const [first, second, third] = failing.calls.map((c) => c.at);
    expect(second! - first!).toBeGreaterThanOrEqual(19);
    expect(third! - second!).toBeGreaterThanOrEqual(39);

    expect(await t.queue.listDeadLetters()).toEqual([
      expect.objectContaining({
        messageId: 'a',
        attempts: 3,
        error: { status: 'retryable', code: 'HTTP_503', httpStatus: 503, message: 'service unavailable (gave up after 3 attempts)' },
      }),
    ]);
    expect(t.dispatcher!.stats()).toMatchObject({ delivered: 0, retried: 2, deadLettered: 1, failedTasks: 3, tasks: 3 });
  });

  it('delivers on a later attempt once the destination recovers', async () => {
    const recovering = new ScriptedPool((ids, call) => ids.map(() => (call < 2 ? unavailable : OK)));
    await t.queue.enqueue([event('a')]);
    t.start({ pool: recovering, overrides: { retry: { baseDelayMs: 5, maxDelayMs: 5, maxAttempts: 5 } } });

    await t.until(() => t.total('delivered').length === 1);
    expect(recovering.sentIds()).toEqual(['a', 'a', 'a']);
    expect(await t.queue.depth()).toEqual({});
    expect(t.dispatcher!.stats()).toMatchObject({ delivered: 1, retried: 2, deadLettered: 0 });
  });

  it('a rate limit pauses the whole connection until Retry-After, without burning an attempt', async () => {
    const limited = new ScriptedPool((ids, call) => ids.map(() => (call === 0 ? { status: 'rate_limited', code: 'HTTP_429', retryAfterMs: 150 } : OK)));
    await t.queue.enqueue([event('a'), event('b'), event('c')]);
    // maxAttempts 1: a burnt attempt would dead-letter `a` at once.
    t.start({ pool: limited, overrides: { maxConcurrency: 1, batch: { maxItems: 1 }, retry: { maxAttempts: 1 } } });

    await t.until(() => t.total('delivered').length === 3);
    const [limitedAt, ...later] = limited.calls.map((c) => c.at);
    for (const at of later) expect(at - limitedAt!).toBeGreaterThanOrEqual(150);
    expect(limited.sentIds().sort()).toEqual(['a', 'a', 'b', 'c']);
    expect(await t.queue.listDeadLetters()).toEqual([]);
    expect(t.dispatcher!.stats()).toMatchObject({ delivered: 3, rateLimited: 1, retried: 1, deadLettered: 0 });
  });

  it('dead-letters a permanent failure at once, with its reason, and stays healthy', async () => {
    const rejecting = new ScriptedPool(() => [{ status: 'permanent', code: 'HTTP_422', message: 'unknown field total', httpStatus: 422 }]);
    await t.queue.enqueue([event('a')]);
    t.start({ pool: rejecting });

    await t.until(() => t.total('deadLettered').length === 1);
    expect(rejecting.calls).toHaveLength(1);
    expect(await t.queue.listDeadLetters()).toEqual([
      expect.objectContaining({
        messageId: 'a',
        attempts: 1,
        error: { status: 'permanent', code: 'HTTP_422', httpStatus: 422, message: 'unknown field total (permanent)' },
      }),
    ]);
    expect(await t.queue.depth()).toEqual({});
    expect(t.dispatcher!.stats()).toMatchObject({ deadLettered: 1, retried: 0, health: 'healthy' });
    expect(t.health).toEqual([]);
  });

  it('dead-letters an authentication failure and reports the connection unhealthy until a delivery succeeds', async () => {
    const pool = new ScriptedPool((ids, call) =>
      ids.map(() => (call === 0 ? { status: 'authentication', code: 'HTTP_401', message: 'invalid api key', httpStatus: 401 } : OK)),
    );
    await t.queue.enqueue([event('a')]);
    const dispatcher = t.start({ pool });

    await t.until(() => t.total('deadLettered').length === 1);
    expect(dispatcher.stats()).toMatchObject({ health: 'unhealthy', healthReason: 'authentication failed: invalid api key' });
    expect(await t.queue.listDeadLetters()).toEqual([
      expect.objectContaining({ messageId: 'a', error: expect.objectContaining({ status: 'authentication' }) }),
    ]);

    await t.queue.enqueue([event('b')]);
    dispatcher.wake();
    await t.until(() => t.total('delivered').length === 1);
    expect(dispatcher.stats().health).toBe('healthy');
    expect(dispatcher.stats().healthReason).toBeUndefined();
    expect(t.health).toEqual(['unhealthy', 'healthy']);
  });
});
