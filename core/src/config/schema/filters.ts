import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import { CONDITION_REF } from '../../rules/condition-schema.js';
import { closed } from './common.js';

/** Dot paths of event fields (`context.ip`, `properties.total`). */
const FieldList = Type.Array(Type.String({ minLength: 1, maxLength: 256 }), { minItems: 1, maxItems: 200 });
const when = Type.Optional(CONDITION_REF);

/** Drops the event for this connection when the condition matches. */
const DROP_FILTER = Type.Object({ drop: CONDITION_REF }, closed);
/** Keeps `percent` of the events (those `when` matches, or all), chosen by a hash of the messageId. */
const SAMPLE_FILTER = Type.Object({ sample: Type.Object({ percent: Type.Number({ exclusiveMinimum: 0, maximum: 100 }) }, closed), when }, closed);
/** Removes these fields from what this connection receives. */
const DROP_FIELDS_FILTER = Type.Object({ dropFields: FieldList, when }, closed);
/** Removes every field but these (and the ids every event keeps) from what this connection receives. */
const KEEP_FIELDS_FILTER = Type.Object({ keepFields: FieldList, when }, closed);

export const FILTER_KINDS = ['drop', 'sample', 'dropFields', 'keepFields'] as const;

export type ConnectionFilterConfig =
  Static<typeof DROP_FILTER> | Static<typeof SAMPLE_FILTER> | Static<typeof DROP_FIELDS_FILTER> | Static<typeof KEEP_FIELDS_FILTER>;

/**
 * One entry of `connections[].filters` (docs/filters.md). if/then/else on the kind's key, as for sources and
 * conditions, so a mistake is reported against the kind written; an entry naming no kind is refused when the
 * filters are compiled, with the list of kinds.
 */
export const FILTER_SCHEMA = Type.Unsafe<ConnectionFilterConfig>({
  type: 'object',
  if: { required: ['drop'] },
  then: DROP_FILTER,
  else: {
    if: { required: ['sample'] },
    then: SAMPLE_FILTER,
    else: {
      if: { required: ['dropFields'] },
      then: DROP_FIELDS_FILTER,
      else: {
        if: { required: ['keepFields'] },
        then: KEEP_FIELDS_FILTER,
        else: { properties: { when: CONDITION_REF }, additionalProperties: false },
      },
    },
  },
});
