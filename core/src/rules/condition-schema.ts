import { Type } from '@sinclair/typebox';
import type { Static, TSchema } from '@sinclair/typebox';

/**
 * The condition language shared by connection filters and audiences (docs/conditions.md): a field test
 * `{ field: "<dot path>", <operator>: value }`, or `{ all: [...] }`, `{ any: [...] }`, `{ not: {...} }`.
 */
export const CONDITION_ID = 'https://switchyard.dev/schemas/condition.json';

const closed = { additionalProperties: false } as const;
const Scalar = Type.Unsafe<string | number | boolean | null>({ type: ['string', 'number', 'boolean', 'null'] });
const ScalarList = Type.Array(Scalar, { minItems: 1, maxItems: 10_000 });

export const MAX_PATTERN_LENGTH = 256;

/** A field test: the field and exactly one operator (the compiler checks the "exactly one"). */
const FIELD_TEST = Type.Object(
  {
    /** Dot path into the document: `properties.total`, `context.page.url`, `products.0.sku`. */
    field: Type.String({ minLength: 1, maxLength: 256 }),
    equals: Type.Optional(Scalar),
    not_equals: Type.Optional(Scalar),
    in: Type.Optional(ScalarList),
    not_in: Type.Optional(ScalarList),
    /** A substring of a string field, or a member of an array field. */
    contains: Type.Optional(Type.Unsafe<string | number | boolean>({ type: ['string', 'number', 'boolean'] })),
    starts_with: Type.Optional(Type.String()),
    exists: Type.Optional(Type.Boolean()),
    gt: Type.Optional(Type.Number()),
    gte: Type.Optional(Type.Number()),
    lt: Type.Optional(Type.Number()),
    lte: Type.Optional(Type.Number()),
    /** An ISO-8601 date or date-time, or a time relative to now: `-30d`, `+2h` (units s, m, h, d, w). */
    before: Type.Optional(Type.String({ minLength: 1 })),
    after: Type.Optional(Type.String({ minLength: 1 })),
    /** A JavaScript regular expression, without slashes or flags. */
    matches: Type.Optional(Type.String({ minLength: 1, maxLength: MAX_PATTERN_LENGTH })),
  },
  closed,
);

export type Operator = Exclude<keyof typeof FIELD_TEST.properties, 'field'>;
export const OPERATORS = Object.keys(FIELD_TEST.properties).filter((key) => key !== 'field') as Operator[];

/** What each operator expects, for error messages: "expected a number, e.g. gt: 18". */
export const OPERAND_HINTS: Record<Operator, string> = {
  equals: 'a string, number, true/false or null, e.g. equals: Order Completed',
  not_equals: 'a string, number, true/false or null, e.g. not_equals: test',
  in: 'a non-empty list of strings, numbers, true/false or null, e.g. in: [US, CA]',
  not_in: 'a non-empty list of strings, numbers, true/false or null, e.g. not_in: [test, staging]',
  contains: 'a string, number or true/false, e.g. contains: "@example.com"',
  starts_with: 'a string, e.g. starts_with: "https://"',
  exists: 'true or false, e.g. exists: true',
  gt: 'a number, e.g. gt: 18',
  gte: 'a number, e.g. gte: 18',
  lt: 'a number, e.g. lt: 100',
  lte: 'a number, e.g. lte: 100',
  before: 'an ISO date (2024-01-31, 2024-01-31T12:00:00Z) or a time relative to now like -30d (units s, m, h, d, w)',
  after: 'an ISO date (2024-01-31, 2024-01-31T12:00:00Z) or a time relative to now like -30d (units s, m, h, d, w)',
  matches: `a regular expression of at most ${MAX_PATTERN_LENGTH} characters, e.g. matches: "^vip-"`,
};

const combinators = <T extends TSchema>(self: T) => ({
  all: Type.Object({ all: Type.Array(self, { minItems: 1 }) }, closed),
  any: Type.Object({ any: Type.Array(self, { minItems: 1 }) }, closed),
  not: Type.Object({ not: self }, closed),
});

// For the TypeScript type only: as JSON Schema an anyOf would report every branch's mismatch for one mistake.
const _TYPED_CONDITION = Type.Recursive((self) => {
  const c = combinators(self);
  return Type.Union([FIELD_TEST, c.all, c.any, c.not]);
});

/** A condition as written in a config file or an API body. */
export type Condition = Static<typeof _TYPED_CONDITION>;
export type FieldTest = Static<typeof FIELD_TEST>;

const self = Type.Unsafe<Condition>({ $ref: CONDITION_ID });
const c = combinators(self);

/**
 * The condition's JSON Schema. if/then/else on the key present, rather than a oneOf of the four shapes, so a
 * mistake is reported against the shape the author chose ("all[1].gt: expected a number"), once. The config
 * schema holds it once under `definitions`; every place a condition goes refers to it with CONDITION_REF.
 */
export const CONDITION_SCHEMA = Type.Unsafe<Condition>({
  $id: CONDITION_ID,
  title: 'Switchyard condition',
  if: { required: ['all'] },
  then: c.all,
  else: { if: { required: ['any'] }, then: c.any, else: { if: { required: ['not'] }, then: c.not, else: FIELD_TEST } },
});

/** Where a condition goes in another schema (a filter's `drop`, an audience's rule). */
export const CONDITION_REF = self;
