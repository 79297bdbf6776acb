import { createHash } from 'node:crypto';

export type NormalizeKind = 'email' | 'phone' | 'e164' | 'name' | 'lower' | 'none';

/** Lower-cased, trimmed; Gmail-style dots are kept: vendors document plain lower-case + trim. */
export function normalizeEmail(value: string): string {
  return value.trim().toLowerCase();
}

/** Digits only, country code kept (`+1 (650) 555-1212` → `16505551212`). */
export function normalizePhone(value: string): string {
  return value.replace(/[^0-9]/g, '').replace(/^0+/, '');
}

/** E.164: a plus and the digits, country code included (`+1 (650) 555-1212` → `+16505551212`); empty without digits. */
export function normalizeE164(value: string): string {
  const digits = normalizePhone(value);
  return digits ? `+${digits}` : '';
}

/** Lower-case, trimmed, punctuation removed, UTF-8 kept (vendor rules for first/last name). */
export function normalizeName(value: string): string {
  return value
    .trim()
    .toLowerCase()
    .replace(/[\p{P}\p{S}]/gu, '')
    .replace(/\s+/g, ' ');
}

export function normalize(value: string, kind: NormalizeKind): string {
  switch (kind) {
    case 'email':
      return normalizeEmail(value);
    case 'phone':
      return normalizePhone(value);
    case 'e164':
      return normalizeE164(value);
    case 'name':
      return normalizeName(value);
    case 'lower':
      return value.trim().toLowerCase();
    case 'none':
      return value;
  }
}

export function isSha256Hex(value: string): boolean {
  return /^[a-f0-9]{64}$/i.test(value);
}

/** Normalises then hashes with SHA-256 (hex); a value that already is a SHA-256 hex digest is kept as is. */
export function normalizeAndHash(value: string, kind: NormalizeKind): string {
  if (isSha256Hex(value.trim())) return value.trim().toLowerCase();
  return createHash('sha256').update(normalize(value, kind), 'utf8').digest('hex');
}
