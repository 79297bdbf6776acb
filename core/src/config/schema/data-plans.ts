import { Type } from '@sinclair/typebox';
import { AnyObject, closed, Id, NonEmptyString, PositiveInt } from './common.js';

/** One entry of `dataPlans`: an mParticle data plan, from a file or inline. */
export const DATA_PLAN_SCHEMA = Type.Object(
  {
    id: Id,
    /** Plan version; an mParticle batch naming `context.data_plan.plan_version` picks the matching one. */
    version: Type.Optional(PositiveInt),
    /** Path to the plan document (mParticle data plan JSON), relative to the config file… */
    file: Type.Optional(NonEmptyString),
    /** …or the document inline. */
    document: Type.Optional(AnyObject()),
    block: Type.Optional(
      Type.Object(
        {
          unplannedEvents: Type.Optional(Type.Boolean()),
          unplannedEventAttributes: Type.Optional(Type.Boolean()),
          unplannedUserAttributes: Type.Optional(Type.Boolean()),
        },
        closed,
      ),
    ),
    /** Connection that receives the original event plus what was blocked. */
    quarantine: Type.Optional(Id),
  },
  { ...closed, oneOf: [{ required: ['file'] }, { required: ['document'] }] },
);
