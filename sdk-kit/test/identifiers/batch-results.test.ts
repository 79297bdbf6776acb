import {
  PermanentError,
  RetryableError,
  performAsBatchOfOne,
  sendInChunks,
  sendSkipping,
  sendSplittingOnRefusal,
  throwIfFailed,
  type BatchItem,
  type CanonicalEvent,
} from '../../src/index.js';

test('a refused request is sent again item by item, so only the invalid item fails', async () => {
  const requests: string[][] = [];
  const results = await sendSplittingOnRefusal(['a', 'bad', 'c'], async (items) => {
    requests.push(items);
    if (items.includes('bad')) throw new PermanentError('invalid event', { code: 'HTTP_400', httpStatus: 400 });
  });
  expect(requests).toEqual([['a', 'bad', 'c'], ['a'], ['bad'], ['c']]);
  expect(results).toEqual([undefined, { status: 'permanent', code: 'HTTP_400', message: 'invalid event', httpStatus: 400 }, undefined]);
});

test('a transient failure is every item’s result, without resending', async () => {
  let calls = 0;
  const results = await sendSplittingOnRefusal([1, 2], async () => {
    calls += 1;
    throw new RetryableError('busy', { code: 'HTTP_503', httpStatus: 503 });
  });
  expect(calls).toBe(1);
  expect(results.map((r) => r?.status)).toEqual(['retryable', 'retryable']);
});

test('sends nothing for no payloads', async () => {
  let calls = 0;
  expect(await sendSplittingOnRefusal([], async () => void (calls += 1))).toEqual([]);
  expect(calls).toBe(0);
});

test('throwIfFailed raises a failed result as its error class and lets an ok one pass', () => {
  expect(() => throwIfFailed({ status: 'rate_limited', code: 'HTTP_429', retryAfterMs: 2000 })).toThrow(
    expect.objectContaining({ name: 'RateLimitedError', retryAfterMs: 2000 }),
  );
  expect(() => throwIfFailed({ status: 'ok', code: 'SKIPPED' })).not.toThrow();
  expect(() => throwIfFailed(undefined)).not.toThrow();
});

test('sendInChunks sends at most the limit a request, splits a refused chunk, and writes results at each entry’s items', async () => {
  const requests: string[][] = [];
  const skipped = { status: 'ok' as const, code: 'SKIPPED' };
  const results = await sendInChunks(
    [undefined, skipped, undefined, undefined, undefined],
    [
      { item: 0, payload: 'a' },
      { item: [2, 3], payload: 'bad' },
      { item: 4, payload: 'c' },
    ],
    2,
    async (payloads) => {
      requests.push(payloads);
      if (payloads.includes('bad')) throw new PermanentError('invalid', { code: 'HTTP_400', httpStatus: 400 });
    },
  );
  expect(requests).toEqual([['a', 'bad'], ['a'], ['bad'], ['c']]);
  const refused = { status: 'permanent', code: 'HTTP_400', message: 'invalid', httpStatus: 400 };
  expect(results).toEqual([undefined, skipped, refused, refused, undefined]);
});

test('performAsBatchOfOne sends the event as a batch of one and throws its failure as its error class', async () => {
  const event = { type: 'track', messageId: 'm-1' } as unknown as CanonicalEvent;
  const ctx = { payload: { n: 1 }, event, messageId: 'm-1', settings: {} };
  const batches: BatchItem<{ n: number }>[][] = [];
  await expect(
    performAsBatchOfOne(ctx, (_ctx, items) => {
      batches.push(items);
      return [undefined];
    }),
  ).resolves.toBeUndefined();
  expect(batches).toEqual([[{ payload: { n: 1 }, event, messageId: 'm-1' }]]);
  await expect(performAsBatchOfOne(ctx, async () => [{ status: 'retryable', code: 'HTTP_503', message: 'busy', httpStatus: 503 }])).rejects.toBeInstanceOf(
    RetryableError,
  );
});

test('sendSkipping answers the skipped items without a request and puts the sent results back at their places', async () => {
  const sent: string[][] = [];
  const refused = { status: 'permanent', code: 'HTTP_400', message: 'bad' } as const;
  const results = await sendSkipping(
    ['a', '', 'b', ''],
    (item) => (item ? undefined : { status: 'ok', code: 'NO_ID' }),
    async (items) => {
      sent.push(items);
      return [undefined, refused];
    },
  );
  expect(sent).toEqual([['a', 'b']]);
  expect(results).toEqual([undefined, { status: 'ok', code: 'NO_ID' }, refused, { status: 'ok', code: 'NO_ID' }]);
  const none = await sendSkipping(
    [''],
    () => ({ status: 'ok', code: 'NO_ID' }),
    async () => {
      throw new Error('no request expected');
    },
  );
  expect(none).toEqual([{ status: 'ok', code: 'NO_ID' }]);
});
