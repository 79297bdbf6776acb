import type { PrivacyConfig } from '../config/config-types.js';
import { INPUT_LIMITS } from '../http-input/input-limits.js';
import { RequestError, type Problem } from '../http-input/request-error.js';

/** The identifiers the banner records a choice under: the SDKs' own ids for the browser. */
const CHOICE_IDENTITY_TYPES = ['anonymous_id', 'device_application_stamp'] as const;

export interface ConsentChoice {
  site: string;
  identities: Partial<Record<(typeof CHOICE_IDENTITY_TYPES)[number], string>>;
  purposes: Record<string, boolean>;
}

/** Reads a choice posted by the consent frame, against the configured purposes and sites; every problem is listed. */
export function readConsentChoice(
  body: unknown,
  privacy: PrivacyConfig,
  allowedOrigins: readonly string[],
): { ok: true; choice: ConsentChoice } | { ok: false; error: RequestError } {
  const problems: Problem[] = [];
  const fields = isObject(body) ? body : {};
  if (!isObject(body)) problems.push({ path: '$', message: 'send a JSON object {site, identities, purposes}' });
  const site = typeof fields.site === 'string' ? fields.site : '';
  const siteAllowed = allowedOrigins.some((allowed) => allowed.toLowerCase() === site.toLowerCase());
  if (!siteAllowed) problems.push({ path: '$.site', message: `${site.slice(0, 200) || 'no site'} is not in privacyPages.consent.allowedOrigins` });
  const identities: ConsentChoice['identities'] = {};
  const givenIdentities = isObject(fields.identities) ? fields.identities : {};
  for (const [type, value] of Object.entries(givenIdentities)) {
    if (!(CHOICE_IDENTITY_TYPES as readonly string[]).includes(type))
      problems.push({ path: `$.identities.${type}`, message: `use ${CHOICE_IDENTITY_TYPES.join(' or ')}` });
    else if (typeof value !== 'string' || !value.trim() || value.length > INPUT_LIMITS.maxIdLength)
      problems.push({ path: `$.identities.${type}`, message: `a non-empty string of at most ${INPUT_LIMITS.maxIdLength} characters` });
    else identities[type as (typeof CHOICE_IDENTITY_TYPES)[number]] = value;
  }
  if (!Object.keys(givenIdentities).length)
    problems.push({ path: '$.identities', message: 'name the visitor: anonymous_id (Segment) or device_application_stamp (mParticle)' });
  const purposes: Record<string, boolean> = {};
  const known = new Set(privacy.purposes.map((p) => p.id));
  const givenPurposes = isObject(fields.purposes) ? fields.purposes : {};
  for (const [id, consented] of Object.entries(givenPurposes)) {
    if (!known.has(id)) problems.push({ path: `$.purposes.${id}`, message: `not a purpose of privacy.purposes (${[...known].join(', ')})` });
    else if (typeof consented !== 'boolean') problems.push({ path: `$.purposes.${id}`, message: 'true (consented) or false (refused)' });
    else purposes[id] = consented;
  }
  if (!Object.keys(givenPurposes).length) problems.push({ path: '$.purposes', message: 'give at least one purpose: {"<purpose>": true | false}' });
  if (problems.length)
    return { ok: false, error: new RequestError(siteAllowed || !isObject(body) ? 400 : 403, siteAllowed ? 'INVALID_CHOICE' : 'ORIGIN_NOT_ALLOWED', problems) };
  return { ok: true, choice: { site, identities, purposes } };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
