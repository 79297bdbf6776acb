/**
 * An identity key is `<identity_type>:<value>`, the one form suppression, consent, erasure and the queue
 * index share. Emails are compared trimmed and lower-cased.
 */
export function identityKey(type: string, value: string): string {
  const normalizedType = type.trim().toLowerCase();
  const normalizedValue = normalizedType === 'email' ? value.trim().toLowerCase() : value.trim();
  return `${normalizedType}:${normalizedValue}`;
}

/** Keys for every identity of a canonical event's user. */
export function identityKeysOf(identities: Record<string, string | undefined>): string[] {
  const keys = new Set<string>();
  for (const [type, value] of Object.entries(identities)) {
    if (value !== undefined && value !== null && String(value).trim() !== '') keys.add(identityKey(type, String(value)));
  }
  return [...keys];
}
