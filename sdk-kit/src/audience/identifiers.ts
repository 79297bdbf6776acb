import { isSha256Hex, normalizeE164, normalizeEmail } from '../identifiers/normalize.js';
import type { CanonicalEvent } from '../types.js';

/** Advertising and vendor device ids: compared lower-cased everywhere (docs/privacy.md#identity-types). */
const LOWER_CASED = new Set([
  'ios_idfa',
  'android_aaid',
  'advertising_id',
  'fire_advertising_id',
  'roku_advertising_id',
  'microsoft_advertising_id',
  'ios_idfv',
]);
// Only contact identifiers may arrive already hashed; a 64-hex user id is an id and is kept exactly.
const MAY_BE_HASHED = new Set(['email', 'phone']);

/**
 * An identifier as audience syncs hand it to connectors: emails trimmed and lower-cased, phones in E.164
 * (`+16505551212`), advertising ids lower-cased, other ids trimmed; an email or phone that already is a SHA-256
 * digest is kept (lower-cased). Undefined when nothing usable is left.
 */
export function normalizeAudienceIdentifier(type: string, value: string): string | undefined {
  const text = value.trim();
  if (text === '') return undefined;
  if (MAY_BE_HASHED.has(type) && isSha256Hex(text)) return text.toLowerCase();
  let normalized: string;
  if (type === 'email') normalized = normalizeEmail(text);
  else if (type === 'phone') normalized = normalizeE164(text);
  else if (LOWER_CASED.has(type)) normalized = text.toLowerCase();
  else normalized = text;
  return normalized === '' ? undefined : normalized;
}

function rawIdentifier(event: CanonicalEvent, type: string): unknown {
  const fromIdentities = event.identities?.[type];
  if (fromIdentities !== undefined) return fromIdentities;
  if (type === 'user_id') return event.userId;
  if (type === 'anonymous_id') return event.anonymousId;
  if (type === 'profile_id') return event.profileId;
  return undefined;
}

/**
 * The identifiers of the person an audience event is about that a destination accepts, normalised, in the
 * destination's preference order. `'all'` takes every identity of the event, plus `user_id`, `anonymous_id` and
 * `profile_id` from the event's own fields.
 */
export function audienceIdentifiers(event: CanonicalEvent, accepted: readonly string[] | 'all'): Record<string, string> {
  const types = accepted === 'all' ? [...new Set([...Object.keys(event.identities ?? {}), 'user_id', 'anonymous_id', 'profile_id'])] : accepted;
  const out: Record<string, string> = {};
  for (const type of types) {
    const raw = rawIdentifier(event, type);
    if (typeof raw !== 'string') continue;
    const normalized = normalizeAudienceIdentifier(type, raw);
    if (normalized !== undefined) out[type] = normalized;
  }
  return out;
}
