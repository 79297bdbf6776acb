import type { CanonicalEvent } from '@switchyard/sdk-kit';
import { compileConnectionFilters } from '../../src/routing/connection-filters.js';
import type { ConnectionFilterConfig } from '../../src/config/config-types.js';

const event = (): CanonicalEvent =>
  ({
    messageId: 'm-1',
    type: 'track',
    event: 'Order Completed',
    userId: 'u1',
    identities: { user_id: 'u1', email: 'ann@example.com' },
    profileId: '42',
    traits: { email: 'ann@example.com', plan: 'pro' },
    properties: {
      total: 30,
      products: [
        { sku: 'A', price: 10 },
        { sku: 'B', price: 20 },
      ],
      internal: false,
    },
    context: { ip: '203.0.113.1', page: { url: 'https://shop.example/' } },
    timestamp: '2024-03-10T12:00:00.000Z',
    receivedAt: '2024-03-10T12:00:00.000Z',
    sourceId: 'web',
    raw: { context: { ip: '203.0.113.1' }, traits: { email: 'ann@example.com' } },
  }) as CanonicalEvent;

const apply = (rules: unknown[], input = event()) => {
  const { filters, problems } = compileConnectionFilters(rules as ConnectionFilterConfig[], 'connections[0].filters');
  expect(problems).toEqual([]);
  return filters!.apply(input);
};
const applied = (rules: unknown[], input = event()) => {
  const outcome = apply(rules, input);
  if (!outcome.kept) throw new Error(`left out: ${outcome.reason}`);
  return outcome.event as unknown as Record<string, any>;
};

describe('connection filter steps', () => {
  it('applies in order, each step seeing what the ones before left', () => {
    // keepFields first leaves `properties` empty, so the drop after it finds no total.
    expect(apply([{ keepFields: ['event'] }, { drop: { field: 'properties.total', exists: true } }])).toMatchObject({ kept: true });
    expect(apply([{ drop: { field: 'properties.total', exists: true } }, { keepFields: ['event'] }])).toEqual({ kept: false, reason: 'filter:drop' });
  });

  it('applies a filter with `when` only to the events it matches', () => {
    expect(applied([{ dropFields: ['context.ip'], when: { field: 'event', equals: 'Signed Up' } }]).context.ip).toBe('203.0.113.1');
    expect(applied([{ dropFields: ['context.ip'], when: { field: 'event', equals: 'Order Completed' } }]).context.ip).toBeUndefined();
    expect(apply([{ sample: { percent: 0.01 }, when: { field: 'event', equals: 'Signed Up' } }])).toMatchObject({ kept: true });
  });

  it('never changes the event it was given, and returns it as is when nothing changed', () => {
    const input = event();
    const before = JSON.stringify(input);
    const out = applied([{ dropFields: ['traits.email', 'properties.products.0', 'context'] }, { keepFields: ['traits', 'properties.products'] }], input);
    expect(JSON.stringify(input)).toBe(before);
    expect(out.properties).toEqual({ products: [{ sku: 'B', price: 20 }] });
    expect(out.context).toEqual({});
    expect(apply([{ drop: { field: 'event', equals: 'x' } }], input)).toEqual({ kept: true, event: input });
  });

  it('removes dropped paths from raw too, keeps whole arrays, and empties containers', () => {
    const out = applied([{ dropFields: ['context.ip', 'traits.email'] }]);
    expect(out.raw).toEqual({ context: {}, traits: {} });
    const kept = applied([{ keepFields: ['properties.products.0.sku', 'context.page.url'] }]);
    expect(kept.properties).toEqual({
      products: [
        { sku: 'A', price: 10 },
        { sku: 'B', price: 20 },
      ],
    });
    expect(kept.context).toEqual({ page: { url: 'https://shop.example/' } });
    expect(kept.traits).toEqual({});
    expect(kept.raw).toBeUndefined();
    expect(kept).toMatchObject({ messageId: 'm-1', identities: { email: 'ann@example.com' }, profileId: '42', userId: 'u1' });
  });

  it('samples by messageId: the same answer every time, about the share over many ids', () => {
    const { filters } = compileConnectionFilters([{ sample: { percent: 30 } }], 'filters');
    const ids = Array.from({ length: 2000 }, (_, i) => `msg-${i}`);
    const kept = ids.filter((messageId) => filters!.apply({ ...event(), messageId }).kept);
    expect(kept.length).toBeGreaterThan(2000 * 0.25);
    expect(kept.length).toBeLessThan(2000 * 0.35);
    expect(ids.filter((messageId) => filters!.apply({ ...event(), messageId }).kept)).toEqual(kept);
    expect(apply([{ sample: { percent: 100 } }])).toMatchObject({ kept: true });
  });

  it('reports every problem with its path', () => {
    const { filters, problems } = compileConnectionFilters(
      [{ drop: { field: 'a', gt: 1, lt: 2 } }, { keepFields: ['x.__proto__.y'] }, { dropFields: ['profileId'] }] as ConnectionFilterConfig[],
      'connections[3].filters',
    );
    expect(filters).toBeUndefined();
    expect(problems).toEqual([
      expect.stringMatching(/^connections\[3\]\.filters\[0\]\.drop: has 2 operators/),
      expect.stringMatching(/^connections\[3\]\.filters\[1\]\.keepFields\[0\]: .*__proto__/),
      expect.stringMatching(/^connections\[3\]\.filters\[2\]\.dropFields\[0\]: profileId cannot be removed/),
    ]);
  });
});
