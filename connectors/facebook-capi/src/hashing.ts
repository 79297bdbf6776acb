import { createHash } from 'node:crypto';
import { isSha256Hex, normalizeEmail, normalizeName, normalizePhone } from '@switchyard/sdk-kit';

/** Meta's normalisation per customer-information key, applied before SHA-256. */
const NORMALIZERS: Record<string, (value: string) => string> = {
  em: normalizeEmail,
  ph: normalizePhone,
  fn: normalizeName,
  ln: normalizeName,
  ge: (v) => v.trim().toLowerCase().slice(0, 1),
  db: (v) => v.replace(/[^0-9]/g, ''),
  ct: (v) => normalizeName(v).replace(/\s+/g, ''),
  st: (v) => normalizeName(v).replace(/\s+/g, ''),
  zp: normalizeZip,
  country: (v) =>
    v
      .trim()
      .toLowerCase()
      .replace(/[^a-z]/g, ''),
  external_id: (v) => v.trim(),
};

/** Keys Meta wants hashed; client_ip_address, client_user_agent, fbc and fbp are sent as they are. */
export const HASHED_KEYS = Object.keys(NORMALIZERS);

/** Lower-case, no spaces or dashes; US ZIP+4 cut to the first five digits. */
export function normalizeZip(value: string): string {
  const compact = value.trim().toLowerCase().replace(/[\s-]/g, '');
  return /^\d{9}$/.test(compact) ? compact.slice(0, 5) : compact;
}

function hashOne(key: string, value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  const text = String(value).trim();
  if (text === '') return undefined;
  if (isSha256Hex(text)) return text.toLowerCase();
  const normalized = NORMALIZERS[key]!(text);
  return normalized === '' ? undefined : createHash('sha256').update(normalized, 'utf8').digest('hex');
}

/** Hashes the keys Meta requires hashed (arrays hashed item by item); other keys pass through. */
export function hashUserData(userData: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(userData)) {
    if (!HASHED_KEYS.includes(key)) {
      if (value !== undefined && value !== null && value !== '') out[key] = value;
      continue;
    }
    const hashed = (Array.isArray(value) ? value : [value]).map((v) => hashOne(key, v)).filter((v): v is string => v !== undefined);
    if (hashed.length > 0) out[key] = Array.isArray(value) ? hashed : hashed[0];
  }
  return out;
}
