import type { ConsentState } from '@switchyard/sdk-kit';
import type { ConnectionConsentRule, PrivacyConfig } from '../config/config-types.js';
import { keepLatest, type UserConsent } from '../profiles/consent-record.js';

/** Reads an event's consent (mParticle purposes, Segment categories, CCPA) into the configured purposes. */
export function consentFromEvent(consent: ConsentState | undefined, eventTime: number, config: PrivacyConfig): UserConsent {
  const result: UserConsent = { purposes: {} };
  if (!consent) return result;
  for (const purpose of config.purposes) {
    const names = purpose.mparticlePurposes ?? [purpose.id];
    for (const name of names) {
      const reported = consent.gdpr?.[name] ?? consent.gdpr?.[name.toLowerCase()];
      if (reported) keepLatest(result.purposes, purpose.id, { consented: reported.consented, timestamp: reported.timestamp ?? eventTime });
    }
    for (const category of purpose.segmentCategories ?? []) {
      const reported = consent.categories?.[category];
      if (typeof reported === 'boolean') keepLatest(result.purposes, purpose.id, { consented: reported, timestamp: eventTime });
    }
  }
  if (consent.ccpa) result.saleOptOut = { consented: consent.ccpa.dataSaleOptOut, timestamp: consent.ccpa.timestamp ?? eventTime };
  return result;
}

/** True when `next` withdraws something `previous` allowed (a revocation must stop queued events). */
export function isRevocation(previous: UserConsent, next: UserConsent): boolean {
  const withdrew = Object.entries(next.purposes).some(([id, d]) => !d.consented && previous.purposes[id]?.consented !== false);
  const optedOut = next.saleOptOut?.consented === true && previous.saleOptOut?.consented !== true;
  return withdrew || optedOut;
}

export interface ConsentVerdict {
  allowed: boolean;
  reason?: string;
}

/** Whether a person with this consent counts as consenting to a purpose; no recorded decision follows `missingConsent.gdpr`. */
export function isPurposeConsented(consent: UserConsent, purpose: string, config: PrivacyConfig): boolean {
  const decision = consent.purposes[purpose];
  return decision ? decision.consented : config.missingConsent.gdpr === 'allow';
}

/** Whether a person counts as opted out of the sale or sharing of their data (CCPA); none recorded follows `missingConsent.ccpa`. */
export function isSaleOptedOut(consent: UserConsent, config: PrivacyConfig): boolean {
  return consent.saleOptOut ? consent.saleOptOut.consented : config.missingConsent.ccpa === 'deny';
}

/** Decides whether a connection may receive an event of a user with this consent. */
export function evaluateConsent(consent: UserConsent, rule: ConnectionConsentRule | undefined, saleOrShare: boolean, config: PrivacyConfig): ConsentVerdict {
  const isConsented = (purpose: string) => isPurposeConsented(consent, purpose, config);
  const isDenied = (purpose: string) => consent.purposes[purpose]?.consented === false;

  const denied = (rule?.blockWhenDenied ?? []).find(isDenied);
  if (denied) return { allowed: false, reason: `consent:${denied}` };
  if (rule?.purposes?.length) {
    const missing = rule.purposes.filter((p) => !isConsented(p));
    const ok = rule.require === 'any' ? missing.length < rule.purposes.length : missing.length === 0;
    if (!ok) return { allowed: false, reason: `consent:${missing[0]}` };
  }
  if (saleOrShare && isSaleOptedOut(consent, config)) return { allowed: false, reason: 'ccpa:data_sale_opt_out' };
  return { allowed: true };
}
