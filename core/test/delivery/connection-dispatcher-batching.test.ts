import { event, OK, ScriptedPool, useDispatcher } from './dispatcher-harness.js';

const RETRYABLE = { status: 'retryable', code: 'CONNECTION_REFUSED' } as const;
import type { ItemResult } from '@switchyard/sdk-kit';

const names = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`);

describe('connection dispatcher: micro-batches and concurrency', () => {
  const t = useDispatcher();

  it('sends due deliveries in tasks of at most maxItems, in queue order', async () => {
    await t.queue.enqueue(names('m', 7).map((id) => event(id)));
    t.start({ overrides: { batch: { maxItems: 3 } } });

    await t.until(() => t.total('delivered').length === 7);
    expect(t.pool.calls.map((c) => c.messageIds)).toEqual([['m1', 'm2', 'm3'], ['m4', 'm5', 'm6'], ['m7']]);
    expect(await t.queue.depth()).toEqual({});
    expect(t.dispatcher!.stats()).toMatchObject({ delivered: 7, tasks: 3, inFlight: 0 });
  });

  it('holds a partial batch for up to maxWaitMs and sends it whole once it fills', async () => {
    await t.queue.enqueue([event('a'), event('b')]);
    t.start({ overrides: { batch: { maxItems: 3, maxWaitMs: 60_000 } } });
    await t.queue.enqueue([event('c')]);
    t.dispatcher!.wake();

    await t.until(() => t.total('delivered').length === 3);
    expect(t.pool.calls.map((c) => c.messageIds)).toEqual([['a', 'b', 'c']]);
  });

  it('sends a partial batch once maxWaitMs has passed', async () => {
    const acceptedAt = Date.now();
    await t.queue.enqueue([event('a'), event('b')]);
    t.start({ overrides: { batch: { maxItems: 3, maxWaitMs: 30 } } });

    await t.until(() => t.total('delivered').length === 2);
    expect(t.pool.calls.map((c) => c.messageIds)).toEqual([['a', 'b']]);
    expect(t.pool.calls[0]!.at - acceptedAt).toBeGreaterThanOrEqual(30);
  });

  it('splits a batch into tasks of at most maxBytes of events; a bigger event goes alone', async () => {
    // Each small body is 17 characters ({"messageId":"m1"}), so two fit in 40 and three do not.
    const big = event('big', { body: JSON.stringify({ messageId: 'big', padding: 'x'.repeat(60) }) });
    await t.queue.enqueue([event('m1'), event('m2'), big, event('m3'), event('m4'), event('m5')]);
    t.start({ overrides: { batch: { maxItems: 10, maxBytes: 40 } } });

    await t.until(() => t.total('delivered').length === 6);
    expect(t.pool.calls.map((c) => c.messageIds)).toEqual([['m1', 'm2'], ['big'], ['m3', 'm4'], ['m5']]);
  });

  it('never has more than maxConcurrency tasks with the workers at once', async () => {
    // Each task answers on a later turn of the event loop, leaving the dispatcher every chance to start more.
    const slow = new ScriptedPool((ids) => new Promise<ItemResult[]>((resolve) => setImmediate(() => resolve(ids.map(() => OK)))));
    await t.queue.enqueue(names('m', 12).map((id) => event(id)));
    t.start({ pool: slow, overrides: { maxConcurrency: 3, batch: { maxItems: 1 } } });

    await t.until(() => t.total('delivered').length === 12);
    expect(slow.calls).toHaveLength(12);
    expect(slow.maxInFlight).toBe(3);
  });

  it('hands the workers at most twice their threads in tasks, so an opening breaker stops the rest', async () => {
    // Workers run one task per thread; the dispatcher must not pile maxConcurrency tasks into the pool behind them.
    const failing = new ScriptedPool((ids) => new Promise<ItemResult[]>((resolve) => setImmediate(() => resolve(ids.map(() => RETRYABLE)))));
    await t.queue.enqueue(names('m', 40).map((id) => event(id)));
    t.start({
      pool: failing,
      overrides: { maxConcurrency: 8, workers: { maxThreads: 2 }, batch: { maxItems: 1 }, breaker: { volumeThreshold: 4, errorThresholdPercentage: 50 } },
    });

    await t.until(() => t.breaker.includes('open'));
    await t.until(() => t.dispatcher!.stats().inFlight === 0);
    expect(failing.maxInFlight).toBeLessThanOrEqual(4);
    // Once open, the breaker stops everything still waiting: only the tasks already with the workers ran.
    expect(failing.calls.length).toBeLessThanOrEqual(4 + 4);
  });
});

describe('connection dispatcher: stopping', () => {
  const t = useDispatcher();

  it('hands leased deliveries back untouched when a task outlasts the drain timeout', async () => {
    const hanging = new ScriptedPool(() => new Promise<ItemResult[]>(() => undefined));
    await t.queue.enqueue([event('a'), event('b')]);
    const dispatcher = t.start({ pool: hanging, overrides: { maxConcurrency: 1, batch: { maxItems: 1 }, drainTimeoutMs: 20 } });
    await t.until(() => hanging.calls.length === 1);

    await dispatcher.stop();
    expect(hanging.closed).toBe(true);
    expect(hanging.sentIds()).toEqual(['a']);
    expect(dispatcher.stats()).toMatchObject({ inFlight: 0, delivered: 0, retried: 0, deadLettered: 0 });
    expect(t.settled).toEqual([]);
    const back = await t.queue.lease('hook', 10, Date.now());
    expect(back.map((d) => [d.messageId, d.attempts])).toEqual([
      ['a', 0],
      ['b', 0],
    ]);
    expect(await t.queue.listDeadLetters()).toEqual([]);
  });

  it('lets an in-flight task finish within the drain timeout, and hands back what never started', async () => {
    let answer!: (results: ItemResult[]) => void;
    const held = new ScriptedPool(
      () =>
        new Promise<ItemResult[]>((resolve) => {
          answer = resolve;
        }),
    );
    await t.queue.enqueue([event('a'), event('b')]);
    const dispatcher = t.start({ pool: held, overrides: { maxConcurrency: 1, batch: { maxItems: 1 }, drainTimeoutMs: 10_000 } });
    await t.until(() => held.calls.length === 1);

    const stopped = dispatcher.stop();
    answer([OK]);
    await stopped;
    expect(t.total('delivered')).toEqual(['a']);
    expect(held.sentIds()).toEqual(['a']);
    expect((await t.queue.lease('hook', 10, Date.now())).map((d) => [d.messageId, d.attempts])).toEqual([['b', 0]]);
  });
});
