import { createSchemaValidator } from '@switchyard/sdk-kit';
import { Type } from '@sinclair/typebox';
import { checkCondition, compileCondition, conditionFields, ConditionError, CONDITION_REF, CONDITION_SCHEMA, MAX_DEPTH } from '../../src/rules/index.js';

const order = {
  event: 'Order Completed',
  userId: 'u-1',
  properties: { total: 120.5, currency: 'EUR', internal: false, coupon: null, tags: ['vip', 'eu'], email: 'ann@example.com' },
  context: { page: { url: 'https://shop.example/checkout' } },
  products: [{ sku: 'A-1' }, { sku: 'B-2' }],
  timestamp: '2024-03-10T12:00:00.000Z',
};

const matches = (condition: unknown, document: unknown = order, now?: () => number) => compileCondition(condition, { now })(document);

describe('field operators', () => {
  it('equals and not_equals compare strictly, a missing field equalling nothing', () => {
    expect(matches({ field: 'event', equals: 'Order Completed' })).toBe(true);
    expect(matches({ field: 'event', equals: 'order completed' })).toBe(false);
    expect(matches({ field: 'properties.total', equals: '120.5' })).toBe(false);
    expect(matches({ field: 'properties.internal', equals: false })).toBe(true);
    expect(matches({ field: 'properties.coupon', equals: null })).toBe(true);
    expect(matches({ field: 'properties.missing', equals: null })).toBe(false);
    expect(matches({ field: 'event', not_equals: 'Signed Up' })).toBe(true);
    expect(matches({ field: 'event', not_equals: 'Order Completed' })).toBe(false);
    expect(matches({ field: 'properties.missing', not_equals: 'x' })).toBe(true);
  });

  it('in and not_in test membership of a list', () => {
    expect(matches({ field: 'properties.currency', in: ['USD', 'EUR'] })).toBe(true);
    expect(matches({ field: 'properties.currency', in: ['USD', 'GBP'] })).toBe(false);
    expect(matches({ field: 'properties.total', in: [120.5] })).toBe(true);
    expect(matches({ field: 'properties.currency', not_in: ['USD', 'GBP'] })).toBe(true);
    expect(matches({ field: 'properties.currency', not_in: ['EUR'] })).toBe(false);
    expect(matches({ field: 'properties.missing', not_in: ['EUR'] })).toBe(true);
  });

  it('contains finds a substring of a string or a member of an array', () => {
    expect(matches({ field: 'properties.email', contains: '@example.com' })).toBe(true);
    expect(matches({ field: 'properties.email', contains: '@other.org' })).toBe(false);
    expect(matches({ field: 'properties.tags', contains: 'vip' })).toBe(true);
    expect(matches({ field: 'properties.tags', contains: 'vi' })).toBe(false);
    expect(matches({ field: 'properties.total', contains: '120' })).toBe(false);
  });

  it('starts_with tests the beginning of a string field only', () => {
    expect(matches({ field: 'context.page.url', starts_with: 'https://' })).toBe(true);
    expect(matches({ field: 'context.page.url', starts_with: 'http://' })).toBe(false);
    expect(matches({ field: 'properties.total', starts_with: '1' })).toBe(false);
  });

  it('exists is true for a present, non-null value', () => {
    expect(matches({ field: 'properties.internal', exists: true })).toBe(true);
    expect(matches({ field: 'properties.coupon', exists: true })).toBe(false);
    expect(matches({ field: 'properties.missing', exists: false })).toBe(true);
    expect(matches({ field: 'properties.total', exists: false })).toBe(false);
  });

  it('gt, gte, lt and lte compare numbers and never coerce strings', () => {
    expect(matches({ field: 'properties.total', gt: 100 })).toBe(true);
    expect(matches({ field: 'properties.total', gt: 120.5 })).toBe(false);
    expect(matches({ field: 'properties.total', gte: 120.5 })).toBe(true);
    expect(matches({ field: 'properties.total', lt: 120.5 })).toBe(false);
    expect(matches({ field: 'properties.total', lte: 120.5 })).toBe(true);
    expect(matches({ field: 'properties.total', lt: 200 })).toBe(true);
    expect(matches({ field: 'properties.total', gt: 1 }, { properties: { total: '120' } })).toBe(false);
    expect(matches({ field: 'properties.missing', lt: 1 })).toBe(false);
  });

  it('before and after compare ISO dates and epoch milliseconds with fixed or relative bounds', () => {
    expect(matches({ field: 'timestamp', after: '2024-03-01' })).toBe(true);
    expect(matches({ field: 'timestamp', before: '2024-03-01' })).toBe(false);
    expect(matches({ field: 'timestamp', before: '2024-03-10T12:00:01Z' })).toBe(true);
    expect(matches({ field: 'at', after: '2024-01-01' }, { at: Date.parse('2024-02-01') })).toBe(true);
    expect(matches({ field: 'timestamp', after: '2024-01-01' }, { timestamp: 'not a date' })).toBe(false);

    const now = () => Date.parse('2024-03-20T12:00:00Z');
    expect(matches({ field: 'timestamp', after: '-30d' }, order, now)).toBe(true);
    expect(matches({ field: 'timestamp', after: '-7d' }, order, now)).toBe(false);
    expect(matches({ field: 'timestamp', before: '-1w' }, order, now)).toBe(true);
    expect(matches({ field: 'timestamp', before: 'now' }, order, now)).toBe(true);
    expect(matches({ field: 'due', after: '+2h' }, { due: '2024-03-20T15:00:00Z' }, now)).toBe(true);
  });

  it('measures relative dates at each evaluation, not at compile time', () => {
    let clock = Date.parse('2024-03-20T00:00:00Z');
    const recent = compileCondition({ field: 'timestamp', after: '-30d' }, { now: () => clock });
    expect(recent(order)).toBe(true);
    clock = Date.parse('2024-06-01T00:00:00Z');
    expect(recent(order)).toBe(false);
  });

  it('matches tests a regular expression against a string field', () => {
    expect(matches({ field: 'event', matches: '^Order (Completed|Refunded)$' })).toBe(true);
    expect(matches({ field: 'event', matches: '^order' })).toBe(false);
    expect(matches({ field: 'properties.total', matches: '120' })).toBe(false);
  });

  it('reads nested fields and array items by index, and never the prototype', () => {
    expect(matches({ field: 'products.1.sku', equals: 'B-2' })).toBe(true);
    expect(matches({ field: 'products.2.sku', exists: true })).toBe(false);
    expect(matches({ field: 'event.length', exists: true })).toBe(false);
    expect(matches({ field: '__proto__', exists: true })).toBe(false);
    expect(matches({ field: 'constructor.name', exists: true })).toBe(false);
    expect(matches({ field: 'event', exists: true }, null)).toBe(false);
    expect(matches({ field: 'event', exists: true }, 'text')).toBe(false);
  });
});

describe('combinators', () => {
  const big = { field: 'properties.total', gt: 100 };
  const eur = { field: 'properties.currency', equals: 'EUR' };
  const usd = { field: 'properties.currency', equals: 'USD' };

  it('all needs every condition, any needs one, not inverts', () => {
    expect(matches({ all: [big, eur] })).toBe(true);
    expect(matches({ all: [big, usd] })).toBe(false);
    expect(matches({ any: [usd, big] })).toBe(true);
    expect(matches({ any: [usd, { not: big }] })).toBe(false);
    expect(matches({ not: usd })).toBe(true);
    expect(matches({ not: { all: [big, eur] } })).toBe(false);
  });

  it('nests combinators and lists the fields a condition reads', () => {
    const condition = { all: [big, { any: [usd, { not: { field: 'userId', exists: false } }] }] };
    expect(matches(condition)).toBe(true);
    expect(conditionFields(condition)).toEqual(['properties.total', 'properties.currency', 'userId']);
  });
});

describe('invalid conditions', () => {
  const problemsOf = (condition: unknown) => checkCondition(condition, 'connections[2].filters[0].when');

  it('names the JSON path of a wrong operand and says what to write', () => {
    expect(
      problemsOf({
        all: [
          { field: 'a', equals: 1 },
          { field: 'b', gt: 'ten' },
        ],
      }),
    ).toEqual(['connections[2].filters[0].when.all[1].gt: expected a number, e.g. gt: 18']);
    expect(problemsOf({ field: 'a', in: ['x', { y: 1 }] })).toEqual(['connections[2].filters[0].when.in[1]: expected a string, number, true/false or null']);
    expect(problemsOf({ field: 'a', exists: 'yes' })[0]).toMatch(/when\.exists: expected true or false/);
    expect(problemsOf({ any: [] })).toEqual(['connections[2].filters[0].when.any: needs at least one condition']);
    expect(problemsOf({ all: { field: 'a', equals: 1 } })[0]).toMatch(/when\.all: expected a list of conditions/);
    expect(problemsOf('event = x')[0]).toMatch(/^connections\[2\]\.filters\[0\]\.when: expected a condition: \{ field/);
  });

  it('refuses unknown operators, missing or several operators, and keys next to a combinator', () => {
    expect(problemsOf({ field: 'a', eq: 1 })).toEqual([expect.stringMatching(/when: unknown operator "eq"; use one of equals, not_equals/)]);
    expect(problemsOf({ equals: 1 })).toEqual([expect.stringMatching(/when\.field: is required/)]);
    expect(problemsOf({ field: 'a' })).toEqual([expect.stringMatching(/when: tests field "a" with no operator; add one of equals/)]);
    expect(problemsOf({ field: 'a', gt: 1, lt: 5 })).toEqual([
      expect.stringMatching(/when: has 2 operators \(gt, lt\); write each as its own condition inside all/),
    ]);
    expect(problemsOf({ all: [{ field: 'a', exists: true }], field: 'b' })).toEqual([expect.stringMatching(/when: "field" cannot stand next to "all"/)]);
    expect(problemsOf({ not: { field: 'a..b', exists: true } })).toEqual([expect.stringMatching(/when\.not\.field: "a\.\.b" has an empty segment/)]);
  });

  it('refuses dates it cannot read', () => {
    expect(problemsOf({ field: 't', before: 'yesterday' })).toEqual([expect.stringMatching(/when\.before: "yesterday" is not a date; expected an ISO date/)]);
    expect(problemsOf({ field: 't', after: '-30 days' })[0]).toMatch(/when\.after: .*relative to now like -30d/);
    expect(problemsOf({ field: 't', after: '2024-02-31T25:00:00Z' })).toHaveLength(1);
    expect(problemsOf({ field: 't', after: '2024-02-01T10:00:00+01:00' })).toEqual([]);
  });

  it('refuses patterns that can backtrack catastrophically, that are too long, or do not compile', () => {
    for (const pattern of ['(a+)+$', '(\\w*)*x', '((ab)*)+', '(?:a|b+){2,}', '(x+){1,}', '(a?){5}', '(?:x{1,3})*']) {
      expect(problemsOf({ field: 'a', matches: pattern })).toEqual([expect.stringMatching(/when\.matches: .*exponential time/)]);
    }
    expect(problemsOf({ field: 'a', matches: '(a)\\1' })).toEqual([expect.stringMatching(/when\.matches: backreferences/)]);
    expect(problemsOf({ field: 'a', matches: 'x'.repeat(257) })[0]).toMatch(/when\.matches: expected a regular expression of at most 256 characters/);
    expect(problemsOf({ field: 'a', matches: '(unclosed' })).toEqual([expect.stringMatching(/when\.matches: not a valid regular expression/)]);
    for (const pattern of ['^a+$', '(ab)+', '(a+)?', '[(a+)+]', '\\(a+\\)+', '(?<year>\\d{4})-\\d{2}', 'x{2}(y{1})+', '(ab{2})+']) {
      expect(problemsOf({ field: 'a', matches: pattern })).toEqual([]);
    }
  });

  it('refuses nesting deeper than the limit', () => {
    let condition: unknown = { field: 'a', exists: true };
    for (let i = 0; i < MAX_DEPTH; i += 1) condition = { not: condition };
    expect(problemsOf(condition)).toEqual([expect.stringMatching(new RegExp(`nest more than ${MAX_DEPTH} deep`))]);
  });

  it('throws a ConditionError with a code and every problem from compileCondition', () => {
    let thrown: unknown;
    try {
      compileCondition({ all: [{ field: 'a', gt: 'x' }, { field: 'b' }] }, { at: 'audiences[0].rule' });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConditionError);
    expect((thrown as ConditionError).code).toBe('CONDITION_INVALID');
    expect((thrown as ConditionError).problems).toEqual(['audiences[0].rule.all[0].gt: expected a number, e.g. gt: 18']);
  });
});

describe('the schema', () => {
  it('embeds in another schema by reference, validating conditions at any depth', () => {
    const validate = createSchemaValidator().compile({
      ...Type.Object({ first: CONDITION_REF, second: Type.Array(CONDITION_REF) }),
      definitions: { condition: CONDITION_SCHEMA },
    });
    expect(validate({ first: { field: 'a', equals: 1 }, second: [{ not: { any: [{ field: 'b', gt: 2 }] } }] })).toBe(true);
    expect(validate({ first: { field: 'a', equals: 1 }, second: [{ not: { any: [{ field: 'b', gt: 'x' }] } }] })).toBe(false);
    expect(validate.errors?.some((e) => e.instancePath === '/second/0/not/any/0/gt')).toBe(true);
  });
});

describe('compiled once', () => {
  it('evaluates a compiled condition many times without parsing it again', () => {
    const condition = {
      all: [
        { field: 'event', in: ['Order Completed', 'Order Refunded'] },
        {
          any: [
            { field: 'properties.total', gte: 100 },
            { field: 'properties.tags', contains: 'vip' },
          ],
        },
        { not: { field: 'properties.email', matches: '@(test|example)\\.org$' } },
      ],
    };
    const test = compileCondition(condition);
    // Freezing the condition proves evaluation never touches (or re-reads) it.
    Object.freeze(condition);
    const documents = Array.from({ length: 200 }, (_, i) => ({ ...order, properties: { ...order.properties, tags: [], total: i } }));
    let matched = 0;
    for (let round = 0; round < 500; round += 1) for (const document of documents) if (test(document)) matched += 1;
    expect(matched).toBe(500 * 100);
  });
});
