import { RateLimitedError, sendDroppingRefused } from '../../src/index.js';

/** An HTTP error as got throws it. */
const httpError = (statusCode: number, body: unknown = {}) => Object.assign(new Error(`HTTP ${statusCode}`), { response: { statusCode, headers: {}, body } });
const reading = {
  vendor: 'Acme',
  refused: (thrown: unknown) => new Map((thrown as { response: { body: { bad?: number[] } } }).response.body.bad?.map((i) => [i, `item ${i} is bad`])),
};

test('the items the vendor names fail alone and the others are sent again', async () => {
  const sent: string[][] = [];
  const results = await sendDroppingRefused(
    ['a', 'b', 'c', 'd'],
    async (items) => {
      sent.push(items);
      if (items.includes('b')) throw httpError(400, { bad: [items.indexOf('b'), 9] });
    },
    reading,
  );
  expect(sent).toEqual([
    ['a', 'b', 'c', 'd'],
    ['a', 'c', 'd'],
  ]);
  expect(results).toEqual([
    undefined,
    { status: 'permanent', code: 'ITEM_REFUSED', message: 'Acme refused the item: item 1 is bad', httpStatus: 400 },
    undefined,
    undefined,
  ]);
});

test('a refusal naming nothing, or every item, fails every item with the mapped error', async () => {
  const toError = () => new RateLimitedError('slow down', { retryAfterMs: 5 });
  expect(await sendDroppingRefused(['a', 'b'], async () => Promise.reject(httpError(429)), { ...reading, toError })).toEqual([
    expect.objectContaining({ status: 'rate_limited', retryAfterMs: 5 }),
    expect.objectContaining({ status: 'rate_limited', retryAfterMs: 5 }),
  ]);
  const all = await sendDroppingRefused(['a', 'b'], async () => Promise.reject(httpError(400, { bad: [0, 1] })), reading);
  expect(all.map((r) => r?.status)).toEqual(['permanent', 'permanent']);
});

test('a 413 halves the request until it fits; one item still too large fails alone', async () => {
  const sizes: number[] = [];
  const results = await sendDroppingRefused(
    ['a', 'b', 'c', 'HUGE', 'e'],
    async (items) => {
      sizes.push(items.length);
      if (items.length > 2 || items.includes('HUGE')) throw httpError(413);
    },
    reading,
  );
  expect(sizes).toEqual([5, 3, 2, 1, 2, 1, 1]);
  expect(results.map((r) => r?.status ?? 'ok')).toEqual(['ok', 'ok', 'ok', 'permanent', 'ok']);
});

test('with othersAccepted the items not named succeed without being sent again', async () => {
  const sent: string[][] = [];
  const results = await sendDroppingRefused(
    ['a', 'b', 'c'],
    async (items) => {
      sent.push(items);
      throw httpError(400, { bad: [2] });
    },
    { ...reading, othersAccepted: true },
  );
  expect(sent).toEqual([['a', 'b', 'c']]);
  expect(results.map((r) => r?.status ?? 'ok')).toEqual(['ok', 'ok', 'permanent']);
});
