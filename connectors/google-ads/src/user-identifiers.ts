import { createHash } from 'node:crypto';
import { isSha256Hex, normalizeE164 } from '@switchyard/sdk-kit';

export { normalizeE164 };

/** Identifiers of one user as mapped from an event (raw, or already SHA-256 hashed). */
export interface MatchUser {
  email?: string;
  phone?: string;
  first_name?: string;
  last_name?: string;
  country_code?: string;
  postal_code?: string;
}

const sha256 = (value: string) => createHash('sha256').update(value, 'utf8').digest('hex');
const hashed = (value: string, normalize: (v: string) => string) => (isSha256Hex(value.trim()) ? value.trim().toLowerCase() : sha256(normalize(value)));

/** Google's rule: trimmed, lower-case, and dots removed before @ for gmail.com and googlemail.com. */
export function normalizeGoogleEmail(value: string): string {
  const email = value.trim().toLowerCase();
  const [local, domain] = email.split('@');
  if (local !== undefined && (domain === 'gmail.com' || domain === 'googlemail.com')) return `${local.replace(/\./g, '')}@${domain}`;
  return email;
}

const normalizeName = (value: string) => value.trim().toLowerCase();

/** `userIdentifiers` for a Customer Match operation or a conversion; empty when the user has none usable. */
export function userIdentifiers(user: MatchUser): Array<Record<string, unknown>> {
  const identifiers: Array<Record<string, unknown>> = [];
  if (user.email?.trim()) identifiers.push({ hashedEmail: hashed(user.email, normalizeGoogleEmail) });
  if (user.phone?.trim() && (isSha256Hex(user.phone.trim()) || normalizeE164(user.phone))) {
    identifiers.push({ hashedPhoneNumber: hashed(user.phone, normalizeE164) });
  }
  // Google matches on an address only with all four parts.
  if (user.first_name?.trim() && user.last_name?.trim() && user.country_code?.trim() && user.postal_code?.trim()) {
    identifiers.push({
      addressInfo: {
        hashedFirstName: hashed(user.first_name, normalizeName),
        hashedLastName: hashed(user.last_name, normalizeName),
        countryCode: user.country_code.trim().toUpperCase(),
        postalCode: user.postal_code.trim(),
      },
    });
  }
  return identifiers;
}
