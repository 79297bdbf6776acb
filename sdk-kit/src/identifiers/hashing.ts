import { createHash } from 'node:crypto';
import { isSha256Hex, normalize, type NormalizeKind } from './normalize.js';

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** SHA-256 (lower-case hex) of an already normalised identifier; a value that already is a digest is kept. */
export function sha256Identifier(normalized: string): string {
  return isSha256Hex(normalized) ? normalized.toLowerCase() : sha256(normalized);
}

/** Normalises then hashes with SHA-256 (hex); a value that already is a SHA-256 hex digest is kept as is. */
export function normalizeAndHash(value: string, kind: NormalizeKind): string {
  if (isSha256Hex(value.trim())) return value.trim().toLowerCase();
  return sha256(normalize(value, kind));
}

/**
 * One identifier as a vendor matches it: normalised by `kind`, then SHA-256. Undefined for a missing or blank
 * value, or one the rule leaves empty (a phone without digits), so nothing hashes the empty string.
 */
export function hashIdentifier(value: unknown, kind: NormalizeKind): string | undefined {
  if (value === undefined || value === null) return undefined;
  const text = String(value).trim();
  if (text === '') return undefined;
  if (isSha256Hex(text)) return text.toLowerCase();
  const normalized = normalize(text, kind);
  return normalized === '' ? undefined : sha256(normalized);
}

/**
 * A record with the keys named in `kinds` hashed by their rule (arrays item by item) and the other keys passed
 * through; empty values are left out.
 */
export function hashFields(record: Record<string, unknown>, kinds: Readonly<Record<string, NormalizeKind>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) {
    const kind = kinds[key];
    if (!kind) {
      if (value !== undefined && value !== null && value !== '') out[key] = value;
      continue;
    }
    const hashed = (Array.isArray(value) ? value : [value]).map((v) => hashIdentifier(v, kind)).filter((v): v is string => v !== undefined);
    if (hashed.length > 0) out[key] = Array.isArray(value) ? hashed : hashed[0];
  }
  return out;
}

/**
 * The `user_data` keys the Meta and Snap Conversions APIs hash, with the rule each documents; the others
 * (client_ip_address, client_user_agent, click ids, cookies) are sent as they are.
 */
export const CONVERSIONS_USER_DATA: Readonly<Record<string, NormalizeKind>> = {
  em: 'email',
  ph: 'phone',
  fn: 'name',
  ln: 'name',
  ge: 'gender',
  db: 'date',
  ct: 'place',
  st: 'place',
  zp: 'zip',
  country: 'country',
  external_id: 'trim',
};
