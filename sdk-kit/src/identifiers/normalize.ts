/**
 * How vendors want an identifier normalised before they match (or hash) it. One rule per kind, shared by every
 * connector; each rule returns '' when nothing usable is left.
 */
export const NORMALIZE_KINDS = ['email', 'gmail', 'phone', 'e164', 'name', 'place', 'zip', 'country', 'gender', 'date', 'lower', 'trim', 'none'] as const;
export type NormalizeKind = (typeof NORMALIZE_KINDS)[number];

/** Lower-cased, trimmed; Gmail-style dots are kept: vendors document plain lower-case + trim. */
export function normalizeEmail(value: string): string {
  return value.trim().toLowerCase();
}

/** Google's rule: lower-case and trimmed, and the dots before @ removed for gmail.com and googlemail.com. */
export function normalizeGmail(value: string): string {
  const email = normalizeEmail(value);
  const [local, domain] = email.split('@');
  return local !== undefined && (domain === 'gmail.com' || domain === 'googlemail.com') ? `${local.replace(/\./g, '')}@${domain}` : email;
}

/** Digits only, country code kept (`+1 (650) 555-1212` → `16505551212`). */
export function normalizePhone(value: string): string {
  return value.replace(/[^0-9]/g, '').replace(/^0+/, '');
}

/**
 * E.164: a plus, the country code and the number (`+1 (650) 555-1212` → `+16505551212`, `0044 20…` → `+4420…`).
 * A number written without `+` or `00` is national when `defaultCountryCode` is given: its trunk 0 goes and the code
 * is put in front, unless it already starts with that code and is too long to be national (`16505551212` with `1`).
 * Without a default it is taken to include its country code. Empty without digits.
 */
export function normalizeE164(value: string, defaultCountryCode?: string): string {
  const text = value.trim();
  const international = text.startsWith('+') || text.replace(/[^0-9]/g, '').startsWith('00');
  const digits = normalizePhone(text);
  if (!digits) return '';
  if (international || !defaultCountryCode) return `+${digits}`;
  const code = defaultCountryCode.replace(/[^0-9]/g, '');
  return digits.startsWith(code) && digits.length > 10 ? `+${digits}` : `+${code}${digits}`;
}

/** Lower-case, trimmed, punctuation removed, UTF-8 kept (vendor rules for first/last name). */
export function normalizeName(value: string): string {
  return value
    .trim()
    .toLowerCase()
    .replace(/[\p{P}\p{S}]/gu, '')
    .replace(/\s+/g, ' ');
}

/** A city or state as Meta and Snap match it: a name without any spaces (`New York` → `newyork`). */
export function normalizePlace(value: string): string {
  return normalizeName(value).replace(/\s+/g, '');
}

/** Lower-case, no spaces or dashes; a US ZIP+4 is cut to its first five digits (`94105-1234` → `94105`). */
export function normalizeZip(value: string): string {
  const compact = value.trim().toLowerCase().replace(/[\s-]/g, '');
  return /^\d{9}$/.test(compact) ? compact.slice(0, 5) : compact;
}

/** An ISO 3166-1 alpha-2 code as vendors hash it: lower-case letters only (`US` → `us`). */
export function normalizeCountry(value: string): string {
  return value
    .trim()
    .toLowerCase()
    .replace(/[^a-z]/g, '');
}

/** `f` or `m`: the first letter, lower-case. */
export function normalizeGender(value: string): string {
  return value.trim().toLowerCase().slice(0, 1);
}

/** A date as digits only (`1990-01-31` → `19900131`). */
export function normalizeDate(value: string): string {
  return value.replace(/[^0-9]/g, '');
}

export function normalize(value: string, kind: NormalizeKind): string {
  switch (kind) {
    case 'email':
      return normalizeEmail(value);
    case 'gmail':
      return normalizeGmail(value);
    case 'phone':
      return normalizePhone(value);
    case 'e164':
      return normalizeE164(value);
    case 'name':
      return normalizeName(value);
    case 'place':
      return normalizePlace(value);
    case 'zip':
      return normalizeZip(value);
    case 'country':
      return normalizeCountry(value);
    case 'gender':
      return normalizeGender(value);
    case 'date':
      return normalizeDate(value);
    case 'lower':
      return value.trim().toLowerCase();
    case 'trim':
      return value.trim();
    case 'none':
      return value;
  }
}

export function isSha256Hex(value: string): boolean {
  return /^[a-f0-9]{64}$/i.test(value);
}
