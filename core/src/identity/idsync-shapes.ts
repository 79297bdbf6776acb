import { INPUT_LIMITS } from '../http-input/input-limits.js';
import { badRequest, jsonPath, type Problem } from '../http-input/request-error.js';
import { canonicalIdentityType } from '../vocabulary/identity-types.js';
import { isProfileId } from './resolution-plan.js';

/**
 * The bodies of mParticle's IDSync HTTP API (docs.mparticle.com/developers/idsync/http-api): the request of
 * identify, search, login and logout, the request of modify, and their answers. Parsing checks every field it
 * reads and names the one at fault; fields it does not read (`client_sdk` extras, future ones) are left alone.
 */

export const IDSYNC_LIMITS = INPUT_LIMITS.idsync;

/** User identities as the SDKs name them in `known_identities` and `identity_changes[].identity_type`. */
const USER_IDENTITY_NAMES = [
  'customerid',
  'email',
  'other',
  ...[2, 3, 4, 5, 6, 7, 8, 9, 10].flatMap((n) => [`other${n}`, `other_id_${n}`]),
  'mobile_number',
  'phone_number_2',
  'phone_number_3',
  'facebook',
  'facebookcustomaudienceid',
  'google',
  'microsoft',
  'yahoo',
  'twitter',
];

/** Device identities: a logout resolves with these alone. */
const DEVICE_IDENTITY_NAMES = [
  'device_application_stamp',
  'ios_idfa',
  'ios_idfv',
  'android_aaid',
  'android_uuid',
  'push_token',
  'roku_aid',
  'roku_publisher_id',
  'fire_aid',
  'amp_id',
  'microsoft_aid',
  'microsoft_publisher_id',
];

const DEVICE_NAMES = new Set(DEVICE_IDENTITY_NAMES);
const ACCEPTED_NAMES = new Set([...USER_IDENTITY_NAMES, ...DEVICE_IDENTITY_NAMES]);
const ENVIRONMENTS = ['production', 'development'];

export type IdsyncOperation = 'identify' | 'search' | 'login' | 'logout';

/** One identity of a request: its IDSync name (answers echo it), the graph's type for it and the value sent. */
export interface IdsyncIdentity {
  name: string;
  type: string;
  value: string;
  isDevice: boolean;
}

export interface IdsyncIdentityRequest {
  identities: IdsyncIdentity[];
  previousMpid?: string;
}

export interface IdsyncChange {
  name: string;
  type: string;
  oldValue?: string;
  newValue?: string;
}

/** The graph's identity type for an IDSync name (`customerid` → customer_id, `other2` → other_id_2, `facebook` stays). */
export function identityTypeOf(name: string): string {
  return canonicalIdentityType(name) ?? name;
}

/** The body of identify, search, login and logout; throws a 400 naming every field at fault. */
export function parseIdentityRequest(body: unknown): IdsyncIdentityRequest {
  const problems: Problem[] = [];
  const object = requestObject(body, problems);
  const identities: IdsyncIdentity[] = [];
  const known = object.known_identities;
  if (!isPlainObject(known)) {
    problems.push({ path: '$.known_identities', message: `is required: an object of identities such as {"email":"…"}, got ${kindOf(known)}` });
  } else {
    const names = Object.keys(known);
    if (names.length > IDSYNC_LIMITS.maxKnownIdentities) {
      problems.push({ path: '$.known_identities', message: `has ${names.length} identities; the limit is ${IDSYNC_LIMITS.maxKnownIdentities}` });
    } else {
      for (const name of names) {
        const path = jsonPath('$.known_identities', name);
        if (!ACCEPTED_NAMES.has(name)) {
          problems.push({ path, message: `is not an IDSync identity type; use one of ${[...ACCEPTED_NAMES].join(', ')}` });
          continue;
        }
        const value = identityValue(known[name], path, problems);
        if (value !== undefined) identities.push({ name, type: identityTypeOf(name), value, isDevice: DEVICE_NAMES.has(name) });
      }
      if (names.length === 0) problems.push({ path: '$.known_identities', message: 'must hold at least one identity' });
    }
  }
  const previousMpid = mpidValue(object.previous_mpid, '$.previous_mpid', problems);
  if (problems.length) throw badRequest('BAD_REQUEST', problems);
  return { identities, ...(previousMpid !== undefined ? { previousMpid } : {}) };
}

/** The body of `/{mpid}/modify`: `identity_changes` of `{identity_type, old_value, new_value}`, null meaning none. */
export function parseModifyRequest(body: unknown): IdsyncChange[] {
  const problems: Problem[] = [];
  const object = requestObject(body, problems);
  const raw = object.identity_changes;
  const changes: IdsyncChange[] = [];
  if (!Array.isArray(raw) || raw.length === 0) {
    problems.push({ path: '$.identity_changes', message: `is required: a non-empty array of {identity_type, old_value, new_value}, got ${kindOf(raw)}` });
  } else if (raw.length > IDSYNC_LIMITS.maxIdentityChanges) {
    problems.push({ path: '$.identity_changes', message: `has ${raw.length} changes; the limit is ${IDSYNC_LIMITS.maxIdentityChanges}` });
  } else {
    raw.forEach((change: unknown, i) => {
      const path = `$.identity_changes[${i}]`;
      if (!isPlainObject(change)) return problems.push({ path, message: `must be an object {identity_type, old_value, new_value}, got ${kindOf(change)}` });
      const name = change.identity_type;
      if (typeof name !== 'string' || !ACCEPTED_NAMES.has(name)) {
        return problems.push({
          path: `${path}.identity_type`,
          message: `must be an IDSync identity type (${[...ACCEPTED_NAMES].join(', ')}), got ${JSON.stringify(name ?? null).slice(0, 60)}`,
        });
      }
      const oldValue = identityValue(change.old_value, `${path}.old_value`, problems);
      const newValue = identityValue(change.new_value, `${path}.new_value`, problems);
      if (change.old_value == null && change.new_value == null) {
        return problems.push({ path, message: 'changes nothing: give old_value to remove an identity, new_value to add one, or both to replace it' });
      }
      changes.push({ name, type: identityTypeOf(name), ...(oldValue !== undefined ? { oldValue } : {}), ...(newValue !== undefined ? { newValue } : {}) });
    });
  }
  if (problems.length) throw badRequest('BAD_REQUEST', problems);
  return changes;
}

/** The answer of identify, search, login and logout. `context` is not used by this router: clients may send back null. */
export function identityAnswer(mpid: string, matched: Record<string, string>, isLoggedIn: boolean) {
  return { context: null, mpid, matched_identities: matched, is_ephemeral: false, is_logged_in: isLoggedIn };
}

/** The answer of modify: one change result per identity change, all on the profile that was modified. */
export function modifyAnswer(mpid: string, changes: readonly IdsyncChange[]) {
  return { change_results: changes.map((change) => ({ identity_type: change.name, modified_mpid: mpid })) };
}

/** The envelope every IDSync request shares; its fields are optional here, but checked when present. */
function requestObject(body: unknown, problems: Problem[]): Record<string, unknown> {
  if (!isPlainObject(body)) {
    problems.push({ path: '$', message: `must be a JSON object (an IDSync request), got ${kindOf(body)}` });
    return {};
  }
  if (body.client_sdk != null) {
    if (!isPlainObject(body.client_sdk)) problems.push({ path: '$.client_sdk', message: `must be an object, got ${kindOf(body.client_sdk)}` });
    else {
      for (const field of ['platform', 'sdk_vendor', 'sdk_version']) {
        const value = body.client_sdk[field];
        if (value != null && typeof value !== 'string') problems.push({ path: `$.client_sdk.${field}`, message: `must be a string, got ${kindOf(value)}` });
      }
    }
  }
  if (body.environment != null && !ENVIRONMENTS.includes(body.environment as string)) {
    problems.push({ path: '$.environment', message: `must be production or development, got ${JSON.stringify(body.environment).slice(0, 60)}` });
  }
  for (const field of ['request_id', 'context']) {
    if (body[field] != null && typeof body[field] !== 'string') problems.push({ path: `$.${field}`, message: `must be a string, got ${kindOf(body[field])}` });
  }
  const timestamp = body.request_timestamp_ms;
  if (timestamp != null && !(typeof timestamp === 'number' && Number.isSafeInteger(timestamp) && timestamp >= 0)) {
    problems.push({ path: '$.request_timestamp_ms', message: `must be Unix time in milliseconds (an integer), got ${kindOf(timestamp)}` });
  }
  return body;
}

/** A string identity value; null or absent means none (SDKs send null to remove one). */
function identityValue(value: unknown, path: string, problems: Problem[]): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value !== 'string') {
    problems.push({ path, message: `must be a string or null, got ${kindOf(value)}` });
    return undefined;
  }
  if (value.length > INPUT_LIMITS.maxIdLength) {
    problems.push({ path, message: `is longer than ${INPUT_LIMITS.maxIdLength} characters` });
    return undefined;
  }
  return value;
}

/** An mpid as a string, or as a JSON number small enough to have kept its digits (older Android SDKs send numbers). */
function mpidValue(value: unknown, path: string, problems: Problem[]): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'number' && !Number.isSafeInteger(value)) {
    problems.push({ path, message: 'is a number too large for JSON to keep exactly; send the mpid as a string' });
    return undefined;
  }
  const text = typeof value === 'number' ? String(value) : value;
  if (typeof text !== 'string' || !isProfileId(text)) {
    problems.push({ path, message: `must be an mpid: a non-zero signed 64-bit integer as a string, got ${kindOf(value)}` });
    return undefined;
  }
  return text;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function kindOf(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${JSON.stringify(value).slice(0, 40)}`;
}
