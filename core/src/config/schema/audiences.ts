import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { CONDITION_REF } from '../../rules/index.js';
import { closed, StringEnum } from './common.js';

/**
 * The audience rule language (docs/audiences.md): conditions on a person's traits (the shared condition language of
 * core/src/rules), aggregates of their events, their consent and other audiences, combined with all/any/not.
 */
export const AUDIENCE_RULE_ID = 'https://switchyard.dev/schemas/audience-rule.json';

/** Audience keys name audiences in URLs and in syncs. */
export const AudienceKey = Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,63}$' });

export const AGGREGATES = ['count', 'sum', 'min', 'max'] as const;
export const COMPARATORS = ['gte', 'gt', 'lte', 'lt', 'equals'] as const;
export const MAX_WINDOW_DAYS = 3650;

/** "Order Completed at least 2 times in the last 30 days with properties.total > 50". */
export const EVENT_CONDITION = Type.Object(
  {
    /** The track event's name (`event`), exactly. */
    event: Type.String({ minLength: 1, maxLength: 256 }),
    /** Only events matching this condition (on the whole event: `properties.total`, `context.page.url`) count. */
    where: Type.Optional(CONDITION_REF),
    /** What is compared: how many events matched (default), or the sum, smallest or largest of `of`. */
    aggregate: Type.Optional(StringEnum(AGGREGATES)),
    /** The dot path of the number sum/min/max read from each matching event, e.g. properties.total. */
    of: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    gte: Type.Optional(Type.Number()),
    gt: Type.Optional(Type.Number()),
    lte: Type.Optional(Type.Number()),
    lt: Type.Optional(Type.Number()),
    equals: Type.Optional(Type.Number()),
    /** Count events of the last N UTC days (and today), or `ever` (the default). */
    within_days: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: MAX_WINDOW_DAYS }), Type.Literal('ever')])),
  },
  closed,
);

/** A purpose the person consented to (or did not), or their CCPA opt-out, as privacy records it on their profile. */
export const CONSENT_CONDITION = Type.Object(
  {
    consent: Type.Object(
      {
        /** A purpose id of `privacy.purposes`. */
        purpose: Type.Optional(Type.String({ minLength: 1 })),
        /** true (default): the purpose is consented; false: it is not. */
        granted: Type.Optional(Type.Boolean()),
        /** true: the person opted out of the sale or sharing of their data (CCPA); false: they did not. */
        sale_opt_out: Type.Optional(Type.Boolean()),
      },
      closed,
    ),
  },
  closed,
);

export const IN_AUDIENCE_CONDITION = Type.Object({ in_audience: AudienceKey }, closed);

const combinators = <T extends TSchema>(self: T) => ({
  all: Type.Object({ all: Type.Array(self, { minItems: 1 }) }, closed),
  any: Type.Object({ any: Type.Array(self, { minItems: 1 }) }, closed),
  not: Type.Object({ not: self }, closed),
});

// The TypeScript type only: as JSON Schema an anyOf would report every branch's mismatch for one mistake.
const _TYPED_RULE = Type.Recursive((self) => {
  const c = combinators(self);
  return Type.Union([c.all, c.any, c.not, EVENT_CONDITION, CONSENT_CONDITION, IN_AUDIENCE_CONDITION, CONDITION_REF]);
});
export type AudienceRule = Static<typeof _TYPED_RULE>;
export type EventConditionRule = Static<typeof EVENT_CONDITION>;
export type ConsentConditionRule = Static<typeof CONSENT_CONDITION>;

const self = Type.Unsafe<AudienceRule>({ $ref: AUDIENCE_RULE_ID });
const c = combinators(self);

/** The key a rule's shape is chosen by, in the order the schema tries them; anything else is a trait condition. */
export const RULE_SHAPES = ['all', 'any', 'not', 'event', 'consent', 'in_audience'] as const;
const SHAPE_SCHEMAS: Record<(typeof RULE_SHAPES)[number], unknown> = {
  all: c.all,
  any: c.any,
  not: c.not,
  event: EVENT_CONDITION,
  consent: CONSENT_CONDITION,
  in_audience: IN_AUDIENCE_CONDITION,
};

/**
 * The rule's JSON Schema: if/then/else on the key present (as the condition schema does), so a mistake is reported
 * against the shape the author chose, once. A rule with none of the keys is a field test on the profile's traits.
 */
export const AUDIENCE_RULE_SCHEMA = Type.Unsafe<AudienceRule>({
  $id: AUDIENCE_RULE_ID,
  title: 'Switchyard audience rule',
  ...RULE_SHAPES.reduceRight<Record<string, unknown>>((otherwise, shape) => ({ if: { required: [shape] }, then: SHAPE_SCHEMAS[shape], else: otherwise }), {
    type: 'object',
    allOf: [CONDITION_REF],
  }),
});

export const AUDIENCE_RULE_REF = self;

/** One entry of `audiences`, and the body of `PUT /admin/v1/audiences/{key}` without its key. */
export const AUDIENCE_FIELDS = {
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
  description: Type.Optional(Type.String({ maxLength: 4096 })),
  rule: AUDIENCE_RULE_REF,
};

/**
 * One audience sync: the audience's membership changes delivered to one connection. `mode` decides what is sent
 * (docs/audiences.md#syncs); `settings` are the sync's own settings, checked against the connector's
 * `audience.syncSettings`.
 */
export const AUDIENCE_SYNC_SCHEMA = Type.Object(
  {
    connection: Type.String({ minLength: 1, description: 'The id of the connection the changes go to.' }),
    mode: Type.Optional(StringEnum(['add-remove', 'add-only', 'mirror'] as const)),
    every: Type.Optional(Type.String({ description: 'mirror only: how often the destination is reconciled with the audience, e.g. "30m", "1h", "1d".' })),
    settings: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: "The sync's own settings (the destination list…)." })),
    as: Type.Optional(StringEnum(['audience', 'track', 'identify'] as const)),
  },
  closed,
);

export const AUDIENCE_SCHEMA = Type.Object({ key: AudienceKey, ...AUDIENCE_FIELDS, syncs: Type.Optional(Type.Array(AUDIENCE_SYNC_SCHEMA)) }, closed);
