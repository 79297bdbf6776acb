import { entryOf, keepLatest, liveQuery, outcomeSummary, type LiveEntry } from '../src/page/live-entries.js';

describe('live stream entries', () => {
  it('asks for the filter in the query: sorted ids, kinds, the PII mask, and nothing for "every"', () => {
    expect(liveQuery({ sources: ['web', 'app'], connections: [], kinds: ['inbound', 'attempt'], maskPii: true })).toBe(
      'source=app%2Cweb&kind=inbound%2Cattempt&mask=pii',
    );
    expect(new URLSearchParams(liveQuery({ sources: [], connections: ['crm'], kinds: ['attempt'], maskPii: false })).toString()).toBe(
      'connection=crm&kind=attempt',
    );
  });

  it('reads hello, inbound and attempt messages of the contract and skips what it does not know', () => {
    expect(entryOf({ event: 'hello', data: '{"sources":["web",3],"connections":["crm"]}' }, 1)).toEqual({
      kind: 'hello',
      sources: ['web'],
      connections: ['crm'],
    });
    expect(
      entryOf({ event: 'inbound', data: '{"at":"2026-01-01T00:00:00.000Z","source":"web","messageId":"m1","type":"track","event":null,"body":{"x":1}}' }, 2),
    ).toEqual({ kind: 'inbound', key: 2, at: '2026-01-01T00:00:00.000Z', source: 'web', messageId: 'm1', type: 'track', event: null, body: { x: 1 } });
    expect(
      entryOf({ event: 'attempt', data: '{"at":"2026-01-01T00:00:00.000Z","connection":"crm","items":[{"messageId":"m1","outcome":"delivered"}]}' }, 3),
    ).toMatchObject({
      kind: 'attempt',
      connection: 'crm',
      items: [{ messageId: 'm1', outcome: 'delivered' }],
      exchanges: [],
    });
    expect(entryOf({ event: 'future', data: '{}' }, 4)).toBeUndefined();
    expect(entryOf({ event: 'inbound', data: 'not json' }, 5)).toBeUndefined();
    expect(entryOf({ event: 'inbound', data: 'null' }, 6)).toBeUndefined();
  });

  it('keeps the newest entries first, at most the limit', () => {
    let held: LiveEntry[] = [];
    for (let key = 1; key <= 5; key += 1) held = keepLatest(held, { kind: 'attempt', key, at: '', connection: 'c', items: [], exchanges: [] }, 3);
    expect(held.map((e) => e.key)).toEqual([5, 4, 3]);
  });

  it('sums an attempt up by outcome with its error codes', () => {
    expect(
      outcomeSummary([
        { messageId: 'a', outcome: 'delivered' },
        { messageId: 'b', outcome: 'dead_lettered', code: 'HTTP_503' },
        { messageId: 'c', outcome: 'delivered' },
        { messageId: 'd', outcome: 'dead_lettered', code: 'HTTP_400' },
      ]),
    ).toBe('delivered 2 · dead_lettered 2 (HTTP_503, HTTP_400)');
  });
});
