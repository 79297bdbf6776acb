import { chunkForRequests } from '../../src/index.js';

test('keeps order and cuts at the item limit', () => {
  const chunks = chunkForRequests([1, 2, 3, 4, 5], { maxItems: 2 });
  expect(chunks).toEqual([
    { start: 0, items: [1, 2] },
    { start: 2, items: [3, 4] },
    { start: 4, items: [5] },
  ]);
});

test('keeps each JSON body within the byte limit, envelope included', () => {
  const items = Array.from({ length: 20 }, (_, i) => ({ id: i, text: 'é'.repeat(10 + i) }));
  const chunks = chunkForRequests(items, { maxItems: 100, maxBytes: 300, envelopeBytes: 30 });
  expect(chunks.flatMap((c) => c.items)).toEqual(items);
  expect(chunks.length).toBeGreaterThan(1);
  for (const chunk of chunks) {
    expect(items.indexOf(chunk.items[0]!)).toBe(chunk.start);
    expect(Buffer.byteLength(JSON.stringify({ api_key: 'k', events: chunk.items }))).toBeLessThanOrEqual(300);
  }
});

test('an item over the byte limit alone goes in a request of its own', () => {
  const chunks = chunkForRequests(['a', 'x'.repeat(500), 'b'], { maxItems: 10, maxBytes: 100 });
  expect(chunks.map((c) => c.items.length)).toEqual([1, 1, 1]);
  expect(chunkForRequests([], { maxItems: 10 })).toEqual([]);
});
