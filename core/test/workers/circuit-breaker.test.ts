import { jest } from '@jest/globals';
import type CircuitBreaker from 'opossum';
import { PRIVACY_RECHECK, type ItemResult } from '@switchyard/sdk-kit';
import { breakerState, createBreaker, createDeliveryBreaker, FailedTask, isFailedTask, type BreakerOptions } from '../../src/workers/circuit-breaker.js';
import type { DeliveryReply } from '../../src/workers/worker-protocol.js';

const ok: ItemResult = { status: 'ok' };
const notSubscribed: ItemResult = { status: 'ok', code: 'NOT_SUBSCRIBED' };
const retryable: ItemResult = { status: 'retryable', code: 'HTTP_503', httpStatus: 503 };
const recheck: ItemResult = { status: 'retryable', code: PRIVACY_RECHECK };
const permanent: ItemResult = { status: 'permanent', code: 'HTTP_422', httpStatus: 422 };
const authentication: ItemResult = { status: 'authentication', code: 'HTTP_401', httpStatus: 401 };

describe('isFailedTask', () => {
  it.each<[string, boolean, ItemResult[]]>([
    ['only retryable failures', true, [retryable, retryable]],
    ['a retryable failure and a success', false, [retryable, ok]],
    ['only successes', false, [ok, ok]],
    ['a retryable failure and a NOT_SUBSCRIBED ok (not a success)', true, [retryable, notSubscribed]],
    ['only NOT_SUBSCRIBED oks (nothing failed)', false, [notSubscribed]],
    ['only items handed back for a privacy check', false, [recheck, recheck]],
    ['a privacy hand-back and a retryable failure', true, [recheck, retryable]],
    ['a privacy hand-back and a success', false, [recheck, ok]],
    ['only permanent and authentication failures', false, [permanent, authentication]],
    ['a permanent and a retryable failure', true, [permanent, retryable]],
    ['no items', false, []],
  ])('%s → failed: %s', (_case, failed, results) => {
    expect(isFailedTask(results)).toBe(failed);
  });
});

const options: BreakerOptions = { errorThresholdPercentage: 50, volumeThreshold: 3, resetTimeoutMs: 1000, rollingWindowMs: 10_000 };

describe('createDeliveryBreaker', () => {
  let breaker: CircuitBreaker<[string, number | undefined], ItemResult[]> | undefined;
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    breaker?.shutdown();
    breaker = undefined;
    jest.useRealTimers();
  });

  /** A breaker around a scripted destination: each call answers with the next results, or the last ones. */
  function scripted(...answers: ItemResult[][]) {
    const calls: Array<{ events: string; checkpoint: number | undefined }> = [];
    breaker = createDeliveryBreaker(async (events, checkpoint) => {
      calls.push({ events, checkpoint });
      return { results: answers[Math.min(calls.length - 1, answers.length - 1)]! };
    }, options);
    return { breaker, calls };
  }

  async function failTimes(b: CircuitBreaker<[string, number | undefined, boolean], DeliveryReply>, n: number) {
    for (let i = 0; i < n; i += 1) await b.fire('[]', undefined, false).catch(() => undefined);
  }

  it('hands a task with a success back as results, passing the events and the privacy checkpoint through', async () => {
    const { breaker: b, calls } = scripted([retryable, ok]);
    await expect(b.fire('[{"a":1}]', 7, false)).resolves.toEqual({ results: [retryable, ok] });
    expect(calls).toEqual([{ events: '[{"a":1}]', checkpoint: 7 }]);
  });

  it('fails a task whose items all failed transiently, carrying the results to settle', async () => {
    const { breaker: b } = scripted([retryable, retryable]);
    const error = await b.fire('[]', undefined, false).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FailedTask);
    expect((error as FailedTask).reply.results).toEqual([retryable, retryable]);
  });

  it('stays closed below the volume threshold, then opens and rejects with EOPENBREAKER without calling the destination', async () => {
    const { breaker: b, calls } = scripted([retryable]);
    await failTimes(b, options.volumeThreshold - 1);
    expect(breakerState(b)).toBe('closed');

    await failTimes(b, 1);
    expect(breakerState(b)).toBe('open');
    await expect(b.fire('[]', undefined, false)).rejects.toMatchObject({ code: 'EOPENBREAKER' });
    expect(calls).toHaveLength(options.volumeThreshold);
  });

  it.each<[string, ItemResult[]]>([
    ['delivered something', [retryable, ok]],
    ['only hit permanent errors', [permanent, authentication]],
    ['only handed items back for a privacy check', [recheck]],
  ])('stays closed however many tasks %s', async (_case, results) => {
    const { breaker: b } = scripted(results);
    await failTimes(b, options.volumeThreshold * 2);
    expect(breakerState(b)).toBe('closed');
  });

  it('half-opens after the reset timeout and closes on a successful probe', async () => {
    const { breaker: b, calls } = scripted([retryable], [retryable], [retryable], [ok]);
    await failTimes(b, 3);
    expect(breakerState(b)).toBe('open');

    jest.advanceTimersByTime(options.resetTimeoutMs - 1);
    expect(breakerState(b)).toBe('open');
    jest.advanceTimersByTime(1);
    expect(breakerState(b)).toBe('half-open');

    await expect(b.fire('[]', undefined, false)).resolves.toEqual({ results: [ok] });
    expect(breakerState(b)).toBe('closed');
    expect(calls).toHaveLength(4);
  });

  it('opens again when the half-open probe fails', async () => {
    const { breaker: b } = scripted([retryable]);
    await failTimes(b, 3);
    jest.advanceTimersByTime(options.resetTimeoutMs);
    expect(breakerState(b)).toBe('half-open');

    await expect(b.fire('[]', undefined, false)).rejects.toBeInstanceOf(FailedTask);
    expect(breakerState(b)).toBe('open');
  });
});

describe('createBreaker', () => {
  let breaker: CircuitBreaker<[], string> | undefined;
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    breaker?.shutdown();
    breaker = undefined;
    jest.useRealTimers();
  });

  /** Settles after `ms` of (fake) time; records how the breaker's promise settled. */
  function slowCall(ms: number, timeoutMs?: number) {
    breaker = createBreaker(() => new Promise<string>((resolve) => setTimeout(() => resolve('done'), ms)), { ...options, timeoutMs });
    const outcome: { settled?: 'resolved' | 'rejected'; value?: unknown } = {};
    void breaker.fire().then(
      (value) => Object.assign(outcome, { settled: 'resolved', value }),
      (error: unknown) => Object.assign(outcome, { settled: 'rejected', value: error }),
    );
    return outcome;
  }

  it('times out a call slower than timeoutMs with ETIMEDOUT', async () => {
    const outcome = slowCall(5000, 100);
    await jest.advanceTimersByTimeAsync(99);
    expect(outcome.settled).toBeUndefined();
    await jest.advanceTimersByTimeAsync(1);
    expect(outcome).toMatchObject({ settled: 'rejected', value: { code: 'ETIMEDOUT' } });
  });

  it('lets a call finish within timeoutMs', async () => {
    const outcome = slowCall(50, 100);
    await jest.advanceTimersByTimeAsync(50);
    expect(outcome).toEqual({ settled: 'resolved', value: 'done' });
  });

  it('never times out a call without timeoutMs', async () => {
    const outcome = slowCall(60_000);
    await jest.advanceTimersByTimeAsync(59_999);
    expect(outcome.settled).toBeUndefined();
    await jest.advanceTimersByTimeAsync(1);
    expect(outcome).toEqual({ settled: 'resolved', value: 'done' });
  });
});
