import { PRIVACY_RECHECK, type ItemResult } from '@switchyard/sdk-kit';
import { event, OK, ScriptedPool, scriptedGate, useDispatcher } from './dispatcher-harness.js';

const recheck: ItemResult = { status: 'retryable', code: PRIVACY_RECHECK, message: 'revoked after the gate checked it' };
const unavailable: ItemResult = { status: 'retryable', code: 'HTTP_503', httpStatus: 503 };

describe('connection dispatcher: the delivery gate', () => {
  const t = useDispatcher();

  it('completes and counts as dropped the items the gate refuses, never sending them', async () => {
    const { gate, calls } = scriptedGate((item) => !['b', 'd'].includes(item.messageId));
    await t.queue.enqueue(['a', 'b', 'c', 'd', 'e'].map((id) => event(id, { privacyVersion: 3 })));
    t.start({ gate });

    await t.until(() => t.total('delivered').length === 3);
    expect(calls).toEqual([['a', 'b', 'c', 'd', 'e'].map((messageId) => ({ messageId, privacyVersion: 3 }))]);
    expect(t.pool.calls.map((c) => c.messageIds)).toEqual([['a', 'c', 'e']]);
    expect(t.total('dropped')).toEqual(['b', 'd']);
    expect(t.dispatcher!.stats()).toMatchObject({ delivered: 3, dropped: 2, retried: 0, deadLettered: 0 });
    expect(await t.queue.depth()).toEqual({});
    expect(await t.queue.listDeadLetters()).toEqual([]);
  });

  it('sends nothing for a task the gate refuses entirely', async () => {
    const { gate } = scriptedGate(() => false);
    await t.queue.enqueue([event('a'), event('b')]);
    t.start({ gate });

    await t.until(() => t.total('dropped').length === 2);
    expect(t.pool.calls).toEqual([]);
    expect(t.dispatcher!.stats()).toMatchObject({ dropped: 2, tasks: 0 });
    expect(await t.queue.depth()).toEqual({});
  });

  it("hands the gate's checkpoint to the task", async () => {
    const { gate } = scriptedGate(
      () => true,
      () => 42,
    );
    await t.queue.enqueue([event('a')]);
    t.start({ gate });

    await t.until(() => t.total('delivered').length === 1);
    expect(t.pool.calls).toEqual([expect.objectContaining({ messageIds: ['a'], checkpoint: 42 })]);
  });

  it('sends items handed back for a privacy check through the gate again at version 0, without counting an attempt', async () => {
    const { gate, calls } = scriptedGate(
      () => true,
      (call) => 100 + call,
    );
    const pool = new ScriptedPool((ids, call) => ids.map((id) => (call === 0 && id === 'a' ? recheck : OK)));
    await t.queue.enqueue([event('a', { privacyVersion: 5 }), event('b', { privacyVersion: 5 })]);
    // maxAttempts 1: a hand-back counted as an attempt would dead-letter `a`.
    t.start({ gate, pool, overrides: { retry: { maxAttempts: 1 } } });

    await t.until(() => t.total('delivered').length === 2);
    expect(calls).toEqual([
      [
        { messageId: 'a', privacyVersion: 5 },
        { messageId: 'b', privacyVersion: 5 },
      ],
      [{ messageId: 'a', privacyVersion: 0 }],
    ]);
    expect(pool.calls.map((c) => [c.messageIds, c.checkpoint])).toEqual([
      [['a', 'b'], 100],
      [['a'], 101],
    ]);
    expect(t.dispatcher!.stats()).toMatchObject({ delivered: 2, retried: 0, deadLettered: 0, failedTasks: 0 });
    expect(await t.queue.depth()).toEqual({});
  });

  it('drops an item handed back for a privacy check when the gate now refuses it', async () => {
    const { gate, calls } = scriptedGate((item, call) => !(call > 0 && item.messageId === 'a'));
    const pool = new ScriptedPool((ids, call) => ids.map((id) => (call === 0 && id === 'a' ? recheck : OK)));
    await t.queue.enqueue([event('a'), event('b')]);
    t.start({ gate, pool, overrides: { retry: { maxAttempts: 1 } } });

    await t.until(() => t.total('dropped').length === 1);
    expect(calls).toHaveLength(2);
    expect(pool.sentIds()).toEqual(['a', 'b']);
    expect(t.total('delivered')).toEqual(['b']);
    expect(t.total('dropped')).toEqual(['a']);
    expect(t.dispatcher!.stats()).toMatchObject({ delivered: 1, dropped: 1, retried: 0, deadLettered: 0, failedTasks: 0 });
    expect(await t.queue.depth()).toEqual({});
  });

  it('lets the next delivery probe a half-open breaker when the gate drops the probe', async () => {
    // Two failed tasks open the breaker; after it half-opens the gate drops the first probe it sees.
    let halfOpen = false;
    let droppedProbe: string | undefined;
    const { gate } = scriptedGate((item) => {
      if (!halfOpen || droppedProbe) return true;
      droppedProbe = item.messageId;
      return false;
    });
    const pool = new ScriptedPool((ids, call) => ids.map(() => (call < 2 ? unavailable : OK)));
    await t.queue.enqueue([event('a'), event('b')]);
    const dispatcher = t.start({
      gate,
      pool,
      overrides: {
        maxConcurrency: 1,
        batch: { maxItems: 1 },
        retry: { baseDelayMs: 1, maxDelayMs: 1, maxAttempts: 100 },
        breaker: { volumeThreshold: 2, errorThresholdPercentage: 50, resetTimeoutMs: 50 },
      },
    });
    dispatcher.on('breaker', (state: string) => {
      if (state === 'half-open') halfOpen = true;
    });

    await t.until(() => t.breaker.includes('closed'));
    expect(t.breaker).toEqual(['open', 'half-open', 'closed']);
    expect(droppedProbe).toBeDefined();
    const other = droppedProbe === 'a' ? 'b' : 'a';
    expect(pool.calls.map((c) => c.messageIds)).toEqual([['a'], ['b'], [other]]);
    await t.until(() => t.total('delivered').length === 1);
    expect(t.total('delivered')).toEqual([other]);
    expect(dispatcher.stats()).toMatchObject({ breaker: 'closed', dropped: 1, delivered: 1 });
    expect(await t.queue.depth()).toEqual({});
  });
});
