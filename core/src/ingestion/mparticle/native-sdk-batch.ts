import { isPlainObject } from '../field-checks.js';

/**
 * The upload of mParticle's iOS and Android SDKs (`POST /v2/{apiKey}/events`, signed) is the SDKs' own batch, with
 * short keys: `msgs` (the messages), `ui` (user identities as `{n: type number, i: value}`), `ua` (user attributes),
 * `mpid`, `das` (device application stamp); each message has `dt` (its type), `n` (name), `ct` (time, ms), `attrs`,
 * `et` (custom event type), `id` and `sid`. Keys and type numbers as the SDKs define them (Android
 * `Constants.MessageKey` and `MessageType`, iOS `MPUserIdentity`). It is rewritten here as the Events API batch the
 * mParticle parser reads; a body that is not such a batch (no `msgs` array) is read as an Events API batch itself.
 */
export function isNativeSdkBatch(body: unknown): body is Record<string, unknown> & { msgs: unknown[] } {
  return isPlainObject(body) && Array.isArray(body.msgs);
}

/** `MPUserIdentity` numbers: user identities, by their Events API names. */
const USER_IDENTITY_NAMES: Record<number, string> = {
  0: 'other',
  1: 'customer_id',
  2: 'facebook',
  3: 'twitter',
  4: 'google',
  5: 'microsoft',
  6: 'yahoo',
  7: 'email',
  8: 'alias',
  9: 'facebook_custom_audience_id',
  ...Object.fromEntries([2, 3, 4, 5, 6, 7, 8, 9, 10].map((n) => [n + 8, `other_id_${n}`])),
  19: 'mobile_number',
  20: 'phone_number_2',
  21: 'phone_number_3',
};

/** `MPUserIdentity` numbers that name the device, by their Events API `device_info` names. */
const DEVICE_IDENTITY_NAMES: Record<number, string> = {
  22: 'ios_advertising_id',
  23: 'ios_idfv',
  24: 'push_token',
  25: 'device_application_stamp',
};

/** Message types (`dt`) and the Events API `event_type` each is; `h` is the batch itself, other types are SDK-internal. */
const MESSAGE_TYPES: Record<string, string> = {
  e: 'custom_event',
  v: 'screen_view',
  ss: 'session_start',
  se: 'session_end',
  o: 'opt_out',
  fr: 'first_run',
  ast: 'application_state_transition',
  bc: 'breadcrumb',
  pm: 'push_message',
  pr: 'push_registration',
  x: 'crash_report',
  npe: 'network_performance',
  pro: 'profile',
  uac: 'user_attribute_change',
};

/** The SDKs' event type names (`Navigation`, `UserContent`) as the Events API's `custom_event_type` (`user_content`). */
const customEventType = (value: unknown) => (typeof value === 'string' ? value.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase() : undefined);

export function eventsApiBatchOf(native: Record<string, unknown> & { msgs: unknown[] }): Record<string, unknown> {
  const userIdentities: Record<string, unknown> = {};
  const deviceInfo: Record<string, unknown> = isPlainObject(native.di) ? { ...native.di } : {};
  for (const identity of Array.isArray(native.ui) ? native.ui : []) {
    if (!isPlainObject(identity) || typeof identity.n !== 'number') continue;
    const userName = USER_IDENTITY_NAMES[identity.n];
    const deviceName = DEVICE_IDENTITY_NAMES[identity.n];
    if (userName) userIdentities[userName] = identity.i;
    else if (deviceName) deviceInfo[deviceName] = identity.i;
  }
  if (native.das !== undefined) deviceInfo.device_application_stamp = native.das;

  const events = native.msgs.flatMap((message) => {
    if (!isPlainObject(message)) return [message];
    const eventType = typeof message.dt === 'string' ? MESSAGE_TYPES[message.dt] : undefined;
    if (!eventType) return [];
    const data: Record<string, unknown> = {
      ...(message.attrs !== undefined ? { custom_attributes: message.attrs } : {}),
      ...(message.ct !== undefined ? { timestamp_unixtime_ms: message.ct } : {}),
      ...(message.id !== undefined ? { source_message_id: message.id } : {}),
      ...(typeof message.sid === 'string' ? { session_uuid: message.sid } : {}),
    };
    if (eventType === 'custom_event') Object.assign(data, { event_name: message.n, custom_event_type: customEventType(message.et) ?? 'other' });
    else if (eventType === 'screen_view') data.screen_name = message.n;
    else if (typeof message.n === 'string') data.event_name = message.n;
    return [{ event_type: eventType, data }];
  });

  return {
    events,
    ...(Object.keys(userIdentities).length ? { user_identities: userIdentities } : {}),
    ...(isPlainObject(native.ua) ? { user_attributes: native.ua } : {}),
    ...(Object.keys(deviceInfo).length ? { device_info: deviceInfo } : {}),
    ...(isPlainObject(native.ai) ? { application_info: native.ai } : {}),
    ...(native.mpid !== undefined ? { mpid: native.mpid } : {}),
    ...(typeof native.ct === 'number' ? { timestamp_unixtime_ms: native.ct } : {}),
  };
}
