import { evaluateMapping, traitMapping, traitOrPropertyMapping } from '../../src/index.js';

describe('common mappings', () => {
  it("reads a trait from an identify's traits first, then from the context traits of any other event", () => {
    expect(evaluateMapping(traitMapping('email'), { traits: { email: 'a@example.com' }, context: { traits: { email: 'b@example.com' } } })).toBe(
      'a@example.com',
    );
    expect(evaluateMapping(traitMapping('email'), { type: 'track', context: { traits: { email: 'b@example.com' } } })).toBe('b@example.com');
    expect(evaluateMapping(traitMapping('email'), { type: 'track', properties: { email: 'c@example.com' } })).toBeUndefined();
  });

  it('falls back to the event property of that name only where asked', () => {
    expect(evaluateMapping(traitOrPropertyMapping('email'), { type: 'track', properties: { email: 'c@example.com' } })).toBe('c@example.com');
    expect(evaluateMapping(traitOrPropertyMapping('email'), { context: { traits: { email: 'b@example.com' } }, properties: { email: 'c@example.com' } })).toBe(
      'b@example.com',
    );
  });
});
