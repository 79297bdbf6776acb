import { createHash } from 'node:crypto';
import { isSha256Hex, normalizeEmail, normalizeName, normalizePhone } from '@switchyard/sdk-kit';

/** The identifiers of one user as mapped from an event (raw or already SHA-256 hashed). */
export interface AudienceUser {
  email?: string;
  phone?: string;
  first_name?: string;
  last_name?: string;
  city?: string;
  state?: string;
  zip?: string;
  country?: string;
  external_id?: string;
  mobile_advertiser_id?: string;
}

interface SchemaKey {
  key: string;
  field: keyof AudienceUser;
  normalize?: (v: string) => string;
}

const compactName = (v: string) => normalizeName(v).replace(/\s+/g, '');

/**
 * Meta's multi-key schema, in the order columns are sent. Keys with `normalize` are hashed with SHA-256
 * after normalising; EXTERN_ID and MADID are sent as they are, as Meta documents.
 */
export const SCHEMA_KEYS: readonly SchemaKey[] = [
  { key: 'EXTERN_ID', field: 'external_id' },
  { key: 'EMAIL', field: 'email', normalize: normalizeEmail },
  { key: 'PHONE', field: 'phone', normalize: normalizePhone },
  { key: 'FN', field: 'first_name', normalize: normalizeName },
  { key: 'LN', field: 'last_name', normalize: normalizeName },
  { key: 'CT', field: 'city', normalize: compactName },
  { key: 'ST', field: 'state', normalize: compactName },
  { key: 'ZIP', field: 'zip', normalize: (v) => v.trim().toLowerCase().replace(/[\s-]/g, '') },
  {
    key: 'COUNTRY',
    field: 'country',
    normalize: (v) =>
      v
        .trim()
        .toLowerCase()
        .replace(/[^a-z]/g, ''),
  },
  { key: 'MADID', field: 'mobile_advertiser_id', normalize: undefined },
];

function cell(spec: SchemaKey, raw: unknown): string {
  if (raw === undefined || raw === null) return '';
  const text = String(raw).trim();
  if (text === '') return '';
  if (!spec.normalize) return spec.key === 'MADID' ? text.toLowerCase() : text;
  if (isSha256Hex(text)) return text.toLowerCase();
  const normalized = spec.normalize(text);
  return normalized === '' ? '' : createHash('sha256').update(normalized, 'utf8').digest('hex');
}

/** True when the user has at least one identifier Meta can match on. */
export function hasIdentifier(user: AudienceUser): boolean {
  return SCHEMA_KEYS.some((spec) => cell(spec, user[spec.field]) !== '');
}

/**
 * The `payload` of a users request: only the schema keys some row has, each row in schema order with
 * an empty string where that user has no value.
 */
export function toAudiencePayload(users: AudienceUser[]): { schema: string[]; data: string[][] } {
  const cells = users.map((user) => SCHEMA_KEYS.map((spec) => cell(spec, user[spec.field])));
  const used = SCHEMA_KEYS.map((_, column) => cells.some((row) => row[column] !== ''));
  return {
    schema: SCHEMA_KEYS.filter((_, column) => used[column]).map((spec) => spec.key),
    data: cells.map((row) => row.filter((_, column) => used[column])),
  };
}
