/** A GDPR purpose this deployment asks consent for, and where each source reports it. */
export interface PurposeConfig {
  id: string;
  description?: string;
  /** mParticle `consent_state.gdpr` purpose names that report this purpose (default: the id). */
  mparticlePurposes?: string[];
  /** Segment `context.consent.categoryPreferences` categories that report this purpose. */
  segmentCategories?: string[];
}

export type MissingConsentPolicy = 'allow' | 'deny';

export interface PrivacyConfig {
  purposes: PurposeConfig[];
  /**
   * What a purpose with no recorded consent counts as. GDPR is opt-in, so `deny` by default; CCPA is
   * opt-out, so a user with no recorded `data_sale_opt_out` may be sent to sale/share connections.
   */
  missingConsent: { gdpr: MissingConsentPolicy; ccpa: MissingConsentPolicy };
}

/** Per-connection consent rule (`connections[].consent`). */
export interface ConnectionConsentRule {
  /** Forward only when these purposes are consented… */
  purposes?: string[];
  /** …all of them (default) or any one. */
  require?: 'all' | 'any';
  /** Never forward when any of these purposes is denied, whatever `purposes` says. */
  blockWhenDenied?: string[];
  /** The connection sells or shares data (CCPA): opted-out users never reach it. Default: category advertising. */
  saleOrShare?: boolean;
}

export const DEFAULT_PRIVACY_CONFIG: PrivacyConfig = {
  purposes: [],
  missingConsent: { gdpr: 'deny', ccpa: 'allow' },
};

/** JSON Schema of the `privacy` config section and of `connections[].consent`, for the config schema. */
export const PRIVACY_CONFIG_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    purposes: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id'],
        properties: {
          id: { type: 'string', pattern: '^[A-Za-z0-9_.-]+$' },
          description: { type: 'string' },
          mparticlePurposes: { type: 'array', items: { type: 'string' } },
          segmentCategories: { type: 'array', items: { type: 'string' } },
        },
      },
    },
    missingConsent: {
      type: 'object',
      additionalProperties: false,
      properties: { gdpr: { enum: ['allow', 'deny'] }, ccpa: { enum: ['allow', 'deny'] } },
    },
  },
} as const;

export const CONNECTION_CONSENT_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    purposes: { type: 'array', items: { type: 'string' }, minItems: 1 },
    require: { enum: ['all', 'any'] },
    blockWhenDenied: { type: 'array', items: { type: 'string' } },
    saleOrShare: { type: 'boolean' },
  },
} as const;

export function resolvePrivacyConfig(partial: Partial<PrivacyConfig> | undefined): PrivacyConfig {
  return {
    purposes: partial?.purposes ?? [],
    missingConsent: { ...DEFAULT_PRIVACY_CONFIG.missingConsent, ...partial?.missingConsent },
  };
}

/** Problems with connection consent rules that name purposes the deployment does not declare. */
export function checkConsentRules(config: PrivacyConfig, rules: Array<{ at: string; rule?: ConnectionConsentRule }>): string[] {
  const known = new Set(config.purposes.map((p) => p.id));
  return rules.flatMap(({ at, rule }) => [
    ...(rule?.purposes ?? []).filter((p) => !known.has(p)).map((p) => `${at}.purposes: "${p}" is not a purpose declared under privacy.purposes`),
    ...(rule?.blockWhenDenied ?? []).filter((p) => !known.has(p)).map((p) => `${at}.blockWhenDenied: "${p}" is not a purpose declared under privacy.purposes`),
  ]);
}
