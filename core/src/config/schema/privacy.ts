import { Type } from '@sinclair/typebox';
import { closed, StringEnum } from './common.js';

/** A GDPR purpose this deployment asks consent for, and where each source reports it. */
export const PURPOSE_SCHEMA = Type.Object(
  {
    id: Type.String({ pattern: '^[A-Za-z0-9_.-]+$' }),
    description: Type.Optional(Type.String()),
    /** mParticle `consent_state.gdpr` purpose names that report this purpose (default: the id). */
    mparticlePurposes: Type.Optional(Type.Array(Type.String())),
    /** Segment `context.consent.categoryPreferences` categories that report this purpose. */
    segmentCategories: Type.Optional(Type.Array(Type.String())),
  },
  closed,
);

export const MISSING_CONSENT_POLICY_SCHEMA = StringEnum(['allow', 'deny']);

/** The `privacy` section. */
export const PRIVACY_CONFIG_SCHEMA = Type.Object(
  {
    purposes: Type.Optional(Type.Array(PURPOSE_SCHEMA)),
    /**
     * What a purpose with no recorded consent counts as. GDPR is opt-in, so `deny` by default; CCPA is
     * opt-out, so a user with no recorded `data_sale_opt_out` may be sent to sale/share connections.
     */
    missingConsent: Type.Optional(
      Type.Object(
        {
          gdpr: Type.Optional(MISSING_CONSENT_POLICY_SCHEMA),
          ccpa: Type.Optional(MISSING_CONSENT_POLICY_SCHEMA),
        },
        closed,
      ),
    ),
  },
  closed,
);

/** `connections[].consent`. */
export const CONNECTION_CONSENT_SCHEMA = Type.Object(
  {
    /** Forward only when these purposes are consented… */
    purposes: Type.Optional(Type.Array(Type.String(), { minItems: 1 })),
    /** …all of them (default) or any one. */
    require: Type.Optional(StringEnum(['all', 'any'])),
    /** Never forward when any of these purposes is denied, whatever `purposes` says. */
    blockWhenDenied: Type.Optional(Type.Array(Type.String())),
    /** The connection sells or shares data (CCPA): opted-out users never reach it. Default: category advertising. */
    saleOrShare: Type.Optional(Type.Boolean()),
  },
  closed,
);
