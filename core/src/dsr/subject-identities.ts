import { canonicalIdentityType, identityKey, IDENTITY_TYPES, type IdentityType } from '../vocabulary/identity-types.js';
import type { SubjectIdentity } from './dsr-types.js';

/**
 * OpenDSR identity types and the canonical identity types they stand for. OpenDSR's own names
 * (`controller_customer_id`, `ios_advertising_id`, `android_advertising_id`, `phone_number`, …) and every
 * Switchyard identity type and alias are accepted.
 */
const OPENDSR_ONLY_TYPES: Record<string, IdentityType[]> = {
  controller_customer_id: ['user_id', 'customer_id'],
};

export const OPENDSR_IDENTITY_TYPES: readonly string[] = [
  'email',
  'controller_customer_id',
  'phone_number',
  'ios_advertising_id',
  'ios_vendor_id',
  'android_advertising_id',
  'android_id',
  ...IDENTITY_TYPES.filter((type) => type !== 'email'),
];

export function canonicalTypesOf(openDsrType: string): IdentityType[] {
  const special = OPENDSR_ONLY_TYPES[openDsrType];
  if (special) return special;
  const type = canonicalIdentityType(openDsrType);
  return type ? [type] : [];
}

/** Only raw identities can be matched against stored events. */
export const SUPPORTED_FORMATS = ['raw'];

export function identityKeysForSubject(identities: SubjectIdentity[]): string[] {
  return [...new Set(identities.flatMap((i) => canonicalTypesOf(i.identity_type).map((type) => identityKey(type, i.identity_value))))];
}

/** The subject's identities in canonical names, as a connector's onDelete receives them. */
export function canonicalIdentities(identities: SubjectIdentity[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const identity of identities) {
    for (const type of canonicalTypesOf(identity.identity_type)) out[type] ??= identity.identity_value;
  }
  return out;
}
