import { identityKey } from '../privacy/identity-keys.js';
import type { SubjectIdentity } from './dsr-types.js';

/**
 * OpenDSR identity types and the canonical identity names they stand for in Switchyard's events.
 * `user_id`, `anonymous_id`, `customer_id` and `mpid` are Switchyard additions, listed in discovery.
 */
export const IDENTITY_TYPE_ALIASES: Record<string, string[]> = {
  email: ['email'],
  controller_customer_id: ['user_id', 'customer_id'],
  user_id: ['user_id'],
  anonymous_id: ['anonymous_id'],
  customer_id: ['customer_id'],
  mpid: ['mpid'],
  ios_advertising_id: ['ios_idfa', 'ios_advertising_id'],
  ios_vendor_id: ['ios_idfv', 'ios_vendor_id'],
  android_advertising_id: ['android_aaid', 'google_advertising_id', 'android_advertising_id'],
  android_id: ['android_uuid', 'android_id'],
  fire_advertising_id: ['fire_advertising_id'],
  microsoft_advertising_id: ['microsoft_advertising_id'],
  microsoft_publisher_id: ['microsoft_publisher_id'],
  roku_advertising_id: ['roku_advertising_id'],
  roku_publisher_id: ['roku_publisher_id'],
};

/** Only raw identities can be matched against stored events. */
export const SUPPORTED_FORMATS = ['raw'];

export function identityKeysForSubject(identities: SubjectIdentity[]): string[] {
  return [...new Set(identities.flatMap((i) => (IDENTITY_TYPE_ALIASES[i.identity_type] ?? []).map((type) => identityKey(type, i.identity_value))))];
}

/** The subject's identities in canonical names, as a connector's onDelete receives them. */
export function canonicalIdentities(identities: SubjectIdentity[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const identity of identities) {
    for (const type of IDENTITY_TYPE_ALIASES[identity.identity_type] ?? []) out[type] ??= identity.identity_value;
  }
  return out;
}
