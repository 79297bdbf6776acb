import { hashIdentifier, type NormalizeKind } from '@switchyard/sdk-kit';

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
  /** Meta's normalisation before SHA-256; keys without one are sent as they are. */
  hash?: NormalizeKind;
}

/**
 * Meta's multi-key schema, in the order columns are sent. EXTERN_ID and MADID are sent unhashed, as Meta
 * documents (MADID lower-cased); phones are hashed as digits with the country code, ZIP+4 as its first five digits.
 */
export const SCHEMA_KEYS: readonly SchemaKey[] = [
  { key: 'EXTERN_ID', field: 'external_id' },
  { key: 'EMAIL', field: 'email', hash: 'email' },
  { key: 'PHONE', field: 'phone', hash: 'phone' },
  { key: 'FN', field: 'first_name', hash: 'name' },
  { key: 'LN', field: 'last_name', hash: 'name' },
  { key: 'CT', field: 'city', hash: 'place' },
  { key: 'ST', field: 'state', hash: 'place' },
  { key: 'ZIP', field: 'zip', hash: 'zip' },
  { key: 'COUNTRY', field: 'country', hash: 'country' },
  { key: 'MADID', field: 'mobile_advertiser_id' },
];

function cell(spec: SchemaKey, raw: unknown): string {
  if (spec.hash) return hashIdentifier(raw, spec.hash) ?? '';
  const text = raw === undefined || raw === null ? '' : String(raw).trim();
  return spec.key === 'MADID' ? text.toLowerCase() : text;
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
