import { Type } from '@sinclair/typebox';
import type { Static, TObject } from '@sinclair/typebox';
import { closed, Id, NonEmptyString, StringEnum } from './common.js';

// A bare `const`: the outer schema already reports a `type` that is not a string.
const Kind = <const T extends string>(value: T) => Type.Unsafe<T>({ const: value });

const sourceCommon = {
  id: Id,
  /** COPPA: `false` removes the IP from every event of this source before it is stored or forwarded. */
  ipCollection: Type.Optional(Type.Boolean()),
  /** Id of a data plan under `dataPlans` that validates this source's events. */
  dataPlan: Type.Optional(Id),
  /**
   * Web pages (origins, `https://shop.example.com`) whose browsers may send this source's events and read its SDK
   * settings. Left out: any origin, since these routes only accept events. `"*"` in the list also means any origin.
   */
  allowedOrigins: Type.Optional(Type.Array(Type.String({ pattern: '^(\\*|https?://[^/?#\\s]+)$' }), { minItems: 1, uniqueItems: true })),
};

export const SEGMENT_SOURCE_SCHEMA = Type.Object(
  {
    ...sourceCommon,
    type: Kind('segment'),
    writeKey: NonEmptyString,
  },
  closed,
);

export const MPARTICLE_SOURCE_SCHEMA = Type.Object(
  {
    ...sourceCommon,
    type: Kind('mparticle'),
    apiKey: NonEmptyString,
    apiSecret: NonEmptyString,
    /**
     * A browser source: its API key alone is accepted (in `x-mp-key` by IDSync, in the path by the web SDK's
     * `/webevents/v3/JS/{key}/events`), since no secret can live in a web page. Such requests are rate limited per
     * client. Off by default: every other caller authenticates with Basic `apiKey:apiSecret` or a signature.
     */
    web: Type.Optional(Type.Boolean()),
  },
  closed,
);

const checkedByAllSources = ['id', 'type'];

/** A kind's schema as a then/else branch: without what the outer schema checks, so it is reported once. */
function branch(kind: TObject): Record<string, unknown> {
  const { type: _object, required = [], ...rest } = kind;
  return { ...rest, required: required.filter((key) => !checkedByAllSources.includes(key)) };
}

/**
 * One entry of `sources`. if/then/else on `type` rather than a oneOf of the two kinds, so a mistake is
 * reported against the kind the operator chose ("writeKey: is required"), not as a failed match of each.
 */
export const SOURCE_SCHEMA = Type.Unsafe<Static<typeof SEGMENT_SOURCE_SCHEMA> | Static<typeof MPARTICLE_SOURCE_SCHEMA>>({
  type: 'object',
  required: checkedByAllSources,
  properties: { type: StringEnum(['segment', 'mparticle']) },
  if: { properties: { type: { const: 'segment' } } },
  then: branch(SEGMENT_SOURCE_SCHEMA),
  else: branch(MPARTICLE_SOURCE_SCHEMA),
});
