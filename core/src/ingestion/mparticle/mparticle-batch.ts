import { randomUUID } from 'node:crypto';
import type { CanonicalEvent, ConsentState, EventType } from '@switchyard/sdk-kit';
import { INPUT_LIMITS } from '../../http-input/input-limits.js';
import { jsonPath, type Problem } from '../../http-input/request-error.js';
import { canonicalIdentityType } from '../../vocabulary/identity-types.js';
import { isPlainObject, optionalId, optionalObject, optionalString, optionalUnixMillis, describeType } from '../field-checks.js';

export const MPARTICLE_LIMITS = INPUT_LIMITS.mparticle;

/** Every `event_type` of the Events API v2, and the canonical type each becomes. */
export const MPARTICLE_EVENT_TYPES: Record<string, EventType> = {
  custom_event: 'track',
  screen_view: 'screen',
  commerce_event: 'commerce',
  session_start: 'session_start',
  session_end: 'session_end',
  user_attribute_change: 'user_attribute_change',
  user_identity_change: 'user_identity_change',
  opt_out: 'opt_out',
  application_state_transition: 'other',
  breadcrumb: 'other',
  crash_report: 'other',
  first_run: 'other',
  network_performance: 'other',
  pre_attribution: 'other',
  profile: 'other',
  push_message: 'other',
  push_registration: 'other',
  uninstall: 'other',
  media: 'other',
  validation_result: 'other',
};

// Identity names are mapped to the one vocabulary (identity-types.ts): `customerid` → customer_id,
// `mobile_number` → phone, `ios_advertising_id` → ios_idfa, `android_advertising_id` → android_aaid, `das` → …
const DEVICE_IDENTITY_KEYS = [
  'ios_advertising_id',
  'ios_idfv',
  'android_advertising_id',
  'android_uuid',
  'push_token',
  'roku_advertising_id',
  'roku_publisher_id',
  'fire_advertising_id',
  'microsoft_advertising_id',
  'microsoft_publisher_id',
  'device_application_stamp',
];

export interface MparticleRequestContext {
  sourceId: string;
  receivedAt: string;
  requestIp?: string;
  /** The User-Agent of a browser's request, used when `device_info` names none. */
  userAgent?: string;
}

/** Checks one Events API batch and maps each of its events to a canonical event. */
export function parseMparticleBatch(batch: unknown, path: string, request: MparticleRequestContext): { events: CanonicalEvent[]; problems: Problem[] } {
  const problems: Problem[] = [];
  if (!isPlainObject(batch)) return { events: [], problems: [{ path, message: 'must be a JSON object (an Events API batch)' }] };
  const at = (...keys: Array<string | number>) => jsonPath(path, ...keys);

  const identities = batchIdentities(batch, at, problems);
  const userAttributes = optionalObject(batch.user_attributes, at('user_attributes'), problems) ?? {};
  const deviceInfo = optionalObject(batch.device_info, at('device_info'), problems) ?? {};
  const appInfo = optionalObject(batch.application_info, at('application_info'), problems);
  const consent = parseConsentState(batch.consent_state, at('consent_state'), problems);
  const dataPlan = optionalObject(optionalObject(batch.context, at('context'), problems)?.data_plan, at('context', 'data_plan'), problems);
  const ip = optionalString(batch.ip, at('ip'), problems);
  const environment = optionalString(batch.environment, at('environment'), problems);
  if (environment !== undefined && !['development', 'production', 'unknown'].includes(environment)) {
    problems.push({ path: at('environment'), message: `must be development, production or unknown, got ${JSON.stringify(environment)}` });
  }
  const batchTime = optionalUnixMillis(batch.timestamp_unixtime_ms, at('timestamp_unixtime_ms'), problems);
  const rawEvents = batch.events ?? [];
  if (!Array.isArray(rawEvents)) problems.push({ path: at('events'), message: `must be an array, got ${describeType(rawEvents)}` });
  else if (rawEvents.length > MPARTICLE_LIMITS.maxEventsPerBatch)
    problems.push({ path: at('events'), message: `has ${rawEvents.length} events; the limit is ${MPARTICLE_LIMITS.maxEventsPerBatch} per batch` });
  if (Object.keys(identities).length === 0 && !problems.some((p) => p.path.startsWith(at('user_identities')))) {
    problems.push({
      path: at('user_identities'),
      message: 'a batch needs at least one user identity (e.g. customer_id or email), an mpid or a device identity',
    });
  }
  if (problems.length || !Array.isArray(rawEvents)) return { events: [], problems };

  const userId = identities.customer_id;
  const anonymousId = identities.device_application_stamp ?? identities.mpid;
  const previousMpid = mpidOf(batch.previous_mpid, at('previous_mpid'), problems);
  const events: CanonicalEvent[] = [];
  rawEvents.forEach((raw, i) => {
    const eventPath = (...keys: Array<string | number>) => at('events', i, ...keys);
    if (!isPlainObject(raw)) {
      problems.push({ path: eventPath(), message: 'must be an object with event_type and data' });
      return;
    }
    const eventType = raw.event_type;
    const type = typeof eventType === 'string' && Object.hasOwn(MPARTICLE_EVENT_TYPES, eventType) ? MPARTICLE_EVENT_TYPES[eventType] : undefined;
    if (!type) {
      problems.push({
        path: eventPath('event_type'),
        message: `must be one of ${Object.keys(MPARTICLE_EVENT_TYPES).join(', ')}, got ${JSON.stringify(eventType)}`,
      });
      return;
    }
    const data = optionalObject(raw.data, eventPath('data'), problems) ?? {};
    const customAttributes = optionalObject(data.custom_attributes, eventPath('data', 'custom_attributes'), problems) ?? {};
    const eventName = optionalString(data.event_name, eventPath('data', 'event_name'), problems);
    if (eventType === 'custom_event' && !eventName?.trim())
      problems.push({ path: eventPath('data', 'event_name'), message: 'custom_event needs an event_name' });
    const screenName = optionalString(data.screen_name, eventPath('data', 'screen_name'), problems);
    const productAction = optionalObject(data.product_action, eventPath('data', 'product_action'), problems);
    const location = optionalObject(data.location, eventPath('data', 'location'), problems);
    const sourceMessageId = optionalId(data.source_message_id, eventPath('data', 'source_message_id'), problems);
    const time = optionalUnixMillis(data.timestamp_unixtime_ms, eventPath('data', 'timestamp_unixtime_ms'), problems);
    if (problems.length) return;
    const { custom_attributes: _ca, location: _loc, ...otherData } = data;
    const name: string | undefined =
      eventType === 'custom_event'
        ? eventName
        : eventType === 'screen_view'
          ? screenName
          : eventType === 'commerce_event'
            ? String(productAction?.action ?? eventName ?? 'commerce')
            : type === 'other'
              ? String(eventType)
              : eventName;
    events.push({
      messageId: sourceMessageId ?? randomUUID(),
      type,
      ...(name !== undefined ? { event: name } : {}),
      ...(userId ? { userId } : {}),
      ...(anonymousId ? { anonymousId } : {}),
      // The profile this user had before the batch's mpid (a login): the identity graph folds it in if anonymous.
      ...(previousMpid !== undefined ? { previousId: previousMpid } : {}),
      identities,
      traits: userAttributes,
      properties: eventProperties(eventType as string, customAttributes, otherData),
      context: {
        ...((ip ?? request.requestIp) ? { ip: ip ?? request.requestIp } : {}),
        ...(typeof deviceInfo.http_header_user_agent === 'string'
          ? { userAgent: deviceInfo.http_header_user_agent }
          : request.userAgent
            ? { userAgent: request.userAgent }
            : {}),
        ...(typeof deviceInfo.locale_language === 'string'
          ? { locale: [deviceInfo.locale_language, deviceInfo.locale_country].filter(Boolean).join('-') }
          : {}),
        ...(Object.keys(deviceInfo).length ? { device: deviceInfo } : {}),
        ...(appInfo ? { app: appInfo } : {}),
        ...(location ? { location: location as CanonicalEvent['context']['location'] } : {}),
        library: { name: 'mparticle-events-api', ...(typeof batch.schema_version === 'number' ? { version: String(batch.schema_version) } : {}) },
        ...(consent ? { consent } : {}),
        ...(dataPlan
          ? {
              dataPlan: {
                planId: String(dataPlan.plan_id ?? ''),
                ...(dataPlan.plan_version !== undefined ? { planVersion: Number(dataPlan.plan_version) } : {}),
              },
            }
          : {}),
        ...(environment ? { environment } : {}),
        ...(typeof data.session_uuid === 'string' ? { session: { id: data.session_uuid } } : {}),
      },
      timestamp: time ?? batchTime ?? request.receivedAt,
      ...(time ? { originalTimestamp: time } : {}),
      receivedAt: request.receivedAt,
      sourceId: request.sourceId,
      raw: { ...raw, batch: { ...batch, events: undefined } },
    });
  });
  return { events: problems.length ? [] : events, problems };
}

function eventProperties(eventType: string, customAttributes: Record<string, unknown>, data: Record<string, unknown>): Record<string, unknown> {
  const { event_name: _n, screen_name: _s, source_message_id: _m, timestamp_unixtime_ms: _t, custom_event_type, ...rest } = data;
  if (eventType === 'custom_event' || eventType === 'screen_view') {
    return { ...customAttributes, ...(custom_event_type !== undefined ? { custom_event_type } : {}) };
  }
  if (eventType === 'commerce_event') {
    const action = (rest.product_action ?? {}) as Record<string, unknown>;
    return {
      ...customAttributes,
      ...rest,
      ...(action.transaction_id !== undefined ? { order_id: action.transaction_id } : {}),
      ...(action.total_amount !== undefined ? { revenue: action.total_amount } : {}),
      ...(Array.isArray(action.products) ? { products: action.products } : {}),
      ...(rest.currency_code !== undefined ? { currency: rest.currency_code } : {}),
    };
  }
  return { ...customAttributes, ...rest };
}

function batchIdentities(batch: Record<string, unknown>, at: (...k: Array<string | number>) => string, problems: Problem[]): Record<string, string> {
  const identities: Record<string, string> = {};
  const userIdentities = optionalObject(batch.user_identities, at('user_identities'), problems) ?? {};
  for (const [key, value] of Object.entries(userIdentities)) {
    const id = optionalId(value, at('user_identities', key), problems);
    if (id !== undefined) identities[canonicalIdentityType(key) ?? key] = id;
  }
  const deviceInfo = isPlainObject(batch.device_info) ? batch.device_info : {};
  for (const key of DEVICE_IDENTITY_KEYS) {
    const id = optionalId(deviceInfo[key], at('device_info', key), problems);
    if (id !== undefined) identities[canonicalIdentityType(key) ?? key] = id;
  }
  const mpid = mpidOf(batch.mpid, at('mpid'), problems);
  if (mpid !== undefined) identities.mpid = mpid;
  return identities;
}

/** An mpid: an integer (read exactly, see the body reader's exact integer keys) or a string of digits. */
function mpidOf(value: unknown, path: string, problems: Problem[]): string | undefined {
  if (value === undefined || value === null) return undefined;
  if ((typeof value === 'string' && /^-?\d{1,20}$/.test(value)) || (typeof value === 'number' && Number.isSafeInteger(value))) return String(value);
  problems.push({ path, message: `must be an integer or a string of digits, got ${describeType(value)}` });
  return undefined;
}

/** `consent_state.gdpr.<purpose>.consented` and `consent_state.ccpa.data_sale_opt_out.consented` (true = opted out of sale). */
function parseConsentState(value: unknown, path: string, problems: Problem[]): ConsentState | undefined {
  const state = optionalObject(value, path, problems);
  if (!state) return undefined;
  const consent: ConsentState = {};
  const gdpr = optionalObject(state.gdpr, jsonPath(path, 'gdpr'), problems);
  if (gdpr) {
    consent.gdpr = {};
    for (const [purpose, raw] of Object.entries(gdpr)) {
      const entryPath = jsonPath(path, 'gdpr', purpose);
      const entry = optionalObject(raw, entryPath, problems);
      if (!entry) continue;
      if (typeof entry.consented !== 'boolean') {
        problems.push({ path: jsonPath(entryPath, 'consented'), message: 'must be true or false' });
        continue;
      }
      consent.gdpr[purpose] = {
        consented: entry.consented,
        ...(typeof entry.timestamp_unixtime_ms === 'number' ? { timestamp: entry.timestamp_unixtime_ms } : {}),
        ...(typeof entry.document === 'string' ? { document: entry.document } : {}),
        ...(typeof entry.location === 'string' ? { location: entry.location } : {}),
      };
    }
  }
  const ccpa = optionalObject(state.ccpa, jsonPath(path, 'ccpa'), problems);
  const optOut = ccpa && optionalObject(ccpa.data_sale_opt_out, jsonPath(path, 'ccpa', 'data_sale_opt_out'), problems);
  if (optOut) {
    if (typeof optOut.consented !== 'boolean')
      problems.push({ path: jsonPath(path, 'ccpa', 'data_sale_opt_out', 'consented'), message: 'must be true or false' });
    else
      consent.ccpa = {
        dataSaleOptOut: optOut.consented,
        ...(typeof optOut.timestamp_unixtime_ms === 'number' ? { timestamp: optOut.timestamp_unixtime_ms } : {}),
      };
  }
  return consent;
}
