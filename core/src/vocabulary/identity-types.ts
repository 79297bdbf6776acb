import { parsePhoneNumberFromString } from 'libphonenumber-js/min';

/**
 * The one identity vocabulary of Switchyard: every identity type an event, a suppression, a rectification or a
 * data-subject request can name, with the spellings each SDK and API uses for it. Device identity names follow
 * mParticle IDSync (`ios_idfa`, `android_aaid`, …).
 *
 * An identity *key* (`<class>:<value>`) is what suppression, consent, erasure and the queue index match on. Types
 * that name the same thing share a key class: every advertising id (IDFA, AAID, Fire, Roku, Microsoft, or Segment's
 * `context.device.advertisingId` on an unknown platform) is `advertising_id:<lower-cased value>`, every phone is
 * `phone:<digits>`, so a suppression by one spelling covers events that carry another.
 */
interface IdentityTypeSpec {
  /** Other names of this type in SDK payloads, the admin API and OpenDSR. */
  aliases?: readonly string[];
  /** Key class shared with types that identify the same thing (default: the type itself). */
  keyClass?: string;
  normalize?: (value: string) => string;
  /** How the identity graph stores a value when it differs from the key's form (phones keep their `+`). */
  display?: (value: string) => string;
}

const lowerCase = (value: string) => value.trim().toLowerCase();
/** E.164 where the number is parseable (it carries its country code), else its digits. */
function phoneNumber(value: string): string {
  const written = value.trim().replace(/^00/, '+');
  const parsed = parsePhoneNumberFromString(written);
  return parsed?.isValid() ? parsed.number : written.replace(/\D+/g, '');
}
/** A phone's key value: the digits of its E.164 form, so `+1 (650) 555-1234` and `+16505551234` meet. */
const phoneDigits = (value: string) => phoneNumber(value).replace(/\D+/g, '');
const advertisingId = { keyClass: 'advertising_id', normalize: lowerCase } as const;

const IDENTITY_TYPE_SPECS = {
  user_id: { aliases: ['userid'] },
  customer_id: { aliases: ['customerid'] },
  anonymous_id: { aliases: ['anonymousid'] },
  mpid: {},
  email: { aliases: ['email_address'], normalize: lowerCase },
  phone: { aliases: ['mobile_number', 'phone_number', 'phone_number_2', 'phone_number_3'], normalize: phoneDigits, display: phoneNumber },
  advertising_id: advertisingId,
  ios_idfa: { ...advertisingId, aliases: ['ios_advertising_id', 'idfa'] },
  android_aaid: { ...advertisingId, aliases: ['android_advertising_id', 'google_advertising_id', 'gaid', 'aaid'] },
  fire_advertising_id: { ...advertisingId, aliases: ['fire_aid'] },
  roku_advertising_id: { ...advertisingId, aliases: ['roku_aid'] },
  microsoft_advertising_id: { ...advertisingId, aliases: ['microsoft_aid'] },
  ios_idfv: { aliases: ['ios_vendor_id', 'idfv'], normalize: lowerCase },
  android_uuid: { aliases: ['android_id'] },
  device_id: {},
  device_application_stamp: { aliases: ['das'] },
  push_token: {},
  roku_publisher_id: {},
  microsoft_publisher_id: {},
  amp_id: {},
  // mParticle's Events API and its SDKs spell these two ways (`other_id_2` / IDSync's `other2`).
  other_id_2: { aliases: ['other2'] },
  other_id_3: { aliases: ['other3'] },
  other_id_4: { aliases: ['other4'] },
  other_id_5: { aliases: ['other5'] },
  other_id_6: { aliases: ['other6'] },
  other_id_7: { aliases: ['other7'] },
  other_id_8: { aliases: ['other8'] },
  other_id_9: { aliases: ['other9'] },
  other_id_10: { aliases: ['other10'] },
  facebook_custom_audience_id: { aliases: ['facebookcustomaudienceid'] },
} satisfies Record<string, IdentityTypeSpec>;

export type IdentityType = keyof typeof IDENTITY_TYPE_SPECS;

/** Canonical identity type names, in the order documented. */
export const IDENTITY_TYPES = Object.keys(IDENTITY_TYPE_SPECS) as IdentityType[];

const SPEC_BY_NAME = new Map<string, { type: IdentityType; spec: IdentityTypeSpec }>();
for (const type of IDENTITY_TYPES) {
  const spec: IdentityTypeSpec = IDENTITY_TYPE_SPECS[type];
  SPEC_BY_NAME.set(type, { type, spec });
  for (const alias of spec.aliases ?? []) SPEC_BY_NAME.set(alias, { type, spec });
}

/** Every name accepted for an identity type: canonical names first, then aliases. */
export const IDENTITY_TYPE_NAMES: readonly string[] = [...SPEC_BY_NAME.keys()];

/** The canonical type for a name or alias (case-insensitive), or undefined for a name outside the vocabulary. */
export function canonicalIdentityType(name: string): IdentityType | undefined {
  return SPEC_BY_NAME.get(name.trim().toLowerCase())?.type;
}

/**
 * The key `<class>:<value>` for an identity. Types outside the vocabulary (an mParticle `facebook` id, say) keep
 * their own lower-cased name as class, so they still match themselves exactly.
 */
export function identityKey(type: string, value: string): string {
  const name = type.trim().toLowerCase();
  const known = SPEC_BY_NAME.get(name);
  const keyClass = known ? (known.spec.keyClass ?? known.type) : name;
  const normalized = known?.spec.normalize ? known.spec.normalize(value) : value.trim();
  return `${keyClass}:${normalized}`;
}

/** A value as the identity graph stores and shows it: trimmed, emails lower-cased, phones in E.164 where parseable. */
export function normalizedIdentityValue(type: string, value: string): string {
  const spec = SPEC_BY_NAME.get(type.trim().toLowerCase())?.spec;
  return (spec?.display ?? spec?.normalize ?? ((v: string) => v.trim()))(value);
}

/** The key of a person (profile) in the identity graph; suppression, consent and erasure match it like any other key. */
export function profileKey(profileId: string): string {
  return `profile:${profileId}`;
}

/** The profile ids among identity keys (`profile:<id>`), each once. */
export function profileIdsOf(keys: readonly string[]): string[] {
  const prefix = profileKey('');
  return [...new Set(keys.filter((key) => key.startsWith(prefix)).map((key) => key.slice(prefix.length)))];
}

/** Keys of a canonical event: its identities' and, once resolved, its profile's. */
export function eventIdentityKeys(event: { identities: Record<string, string | undefined>; profileId?: string }): string[] {
  const keys = identityKeysOf(event.identities);
  if (event.profileId !== undefined) keys.push(profileKey(event.profileId));
  return keys;
}

/** Keys for every identity of a canonical event's user. */
export function identityKeysOf(identities: Record<string, string | undefined>): string[] {
  const keys = new Set<string>();
  for (const type of Object.keys(identities)) {
    const value = identities[type];
    if (value === undefined || value === null || String(value).trim() === '') continue;
    const key = identityKey(type, String(value));
    if (!key.endsWith(':')) keys.add(key);
  }
  return [...keys];
}
