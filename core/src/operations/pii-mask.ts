/**
 * Masks personal data in what the live view shows, when the operator asks for it: values under personal field
 * names, and e-mail addresses, phone numbers and IP addresses wherever they appear. Pseudonymous ids (user and
 * anonymous ids, message ids) and hashes stay, so an operator can still follow an event.
 */
const PERSONAL_FIELD =
  /^(e-?mail|email_address|phone|phone_number|mobile|name|first_?name|last_?name|full_?name|address|street|address_?line\d?|postal_?code|zip|birthday|birth_?date|date_of_birth|dob|gender|ip|ip_?address|user_?agent|latitude|longitude)$/i;
const EMAIL = /[^\s@"'<>,;:]+@[^\s@"'<>,;:]+\.[a-z]{2,}/gi;
// E.164 (`+` and digits) or a separated national number; bare digit runs are ids and timestamps, not phones.
const PHONE = /(?<![\w-])(?:\+\d[\d\s().-]{6,}\d|\(?\d{3}\)?[\s.-]\d{3}[\s.-]\d{4})(?![\w-])/g;
const IPV4 = /\b(?:\d{1,3}\.){3}\d{1,3}\b/g;
const IPV6 = /\b(?:[0-9a-f]{1,4}:){3,7}[0-9a-f]{1,4}\b/gi;
const HASH = /^[0-9a-f]{32,128}$/i;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T/;

export const MASKED = '***';

/** A masked copy of a JSON value. */
export function maskPii(value: unknown, key?: string): unknown {
  if (typeof value === 'string') return key !== undefined && PERSONAL_FIELD.test(key) && !HASH.test(value) ? MASKED : maskText(value);
  if (typeof value === 'number') return key !== undefined && PERSONAL_FIELD.test(key) ? MASKED : value;
  if (Array.isArray(value)) return value.map((item) => maskPii(item, key));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskPii(v, k)]));
  }
  return value;
}

/** Masks personal values inside free text; a JSON document is masked field by field. */
export function maskText(text: string): string {
  if (HASH.test(text) || ISO_TIME.test(text)) return text;
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      return JSON.stringify(maskPii(JSON.parse(text)));
    } catch {
      // not JSON after all: mask it as text
    }
  }
  return text.replace(EMAIL, MASKED).replace(IPV6, MASKED).replace(IPV4, MASKED).replace(PHONE, MASKED);
}
