import { hashIdentifier } from '@switchyard/sdk-kit';

/** Identifiers of one user as mapped from an event (raw, or already SHA-256 hashed). */
export interface MatchUser {
  email?: string;
  phone?: string;
  first_name?: string;
  last_name?: string;
  country_code?: string;
  postal_code?: string;
}

/**
 * `userIdentifiers` for a Customer Match operation or a conversion, hashed by Google's rules (emails with gmail.com
 * dots removed, phones in E.164, names lower-case); empty when the user has none usable.
 */
export function userIdentifiers(user: MatchUser): Array<Record<string, unknown>> {
  const identifiers: Array<Record<string, unknown>> = [];
  const email = hashIdentifier(user.email, 'gmail');
  if (email) identifiers.push({ hashedEmail: email });
  const phone = hashIdentifier(user.phone, 'e164');
  if (phone) identifiers.push({ hashedPhoneNumber: phone });
  const firstName = hashIdentifier(user.first_name, 'lower');
  const lastName = hashIdentifier(user.last_name, 'lower');
  // Google matches on an address only with all four parts.
  if (firstName && lastName && user.country_code?.trim() && user.postal_code?.trim()) {
    identifiers.push({
      addressInfo: {
        hashedFirstName: firstName,
        hashedLastName: lastName,
        countryCode: user.country_code.trim().toUpperCase(),
        postalCode: user.postal_code.trim(),
      },
    });
  }
  return identifiers;
}
