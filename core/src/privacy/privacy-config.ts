import type { ConnectionConsentRule, PrivacyConfig, PrivacySection } from '../config/config-types.js';

export const DEFAULT_PRIVACY_CONFIG: PrivacyConfig = {
  purposes: [],
  missingConsent: { gdpr: 'deny', ccpa: 'allow' },
};

export function resolvePrivacyConfig(partial: PrivacySection | undefined): PrivacyConfig {
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
