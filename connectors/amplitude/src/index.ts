import { defineConnector, EVENT_NAME_MAPPING, PermanentError, performAsBatchOfOne, sendSkipping, Type, type BatchItem } from '@switchyard/sdk-kit';
import { amplitudeError, MAX_EVENTS, upload, type Context } from './httpapi.js';
import { ingestionHost, privacyHost, settings, type AmplitudeSettings } from './settings.js';

const optionalText = () => Type.Optional(Type.String());
const identity = {
  user_id: Type.Optional(Type.String({ minLength: 1, description: 'Amplitude user_id.' })),
  device_id: Type.Optional(Type.String({ minLength: 1, description: 'Amplitude device_id; events need it or a user_id.' })),
};
const identityMapping = { user_id: { '@path': '$.userId' }, device_id: { '@path': '$.anonymousId' } };
const eventFields = Type.Object({
  ...identity,
  event_type: Type.String({ minLength: 1 }),
  time: Type.String({ description: 'ISO-8601; sent as milliseconds since the epoch.' }),
  event_properties: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  user_properties: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  ip: optionalText(),
  language: optionalText(),
});
type EventPayload = { user_id?: string; device_id?: string; event_type: string; time: string; [field: string]: unknown };

const compact = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== null && v !== ''));

/** The HTTP V2 event: `insert_id` is the messageId, so Amplitude drops a retried event it already has (7 days). */
function toAmplitude({ payload, messageId }: BatchItem<EventPayload>): Record<string, unknown> {
  const millis = Date.parse(payload.time);
  return compact({ ...payload, time: Number.isNaN(millis) ? undefined : millis, insert_id: messageId });
}

/** Events without a user_id or device_id are skipped (ok, NO_ID): Amplitude refuses them. */
const send = (ctx: Context, items: BatchItem<EventPayload>[]) =>
  sendSkipping(
    items,
    (i) => (i.payload.user_id || i.payload.device_id ? undefined : { status: 'ok', code: 'NO_ID' }),
    (some) => upload(ctx, some.map(toAmplitude)),
  );

export default defineConnector({
  name: 'amplitude',
  version: '0.1.0',
  category: 'analytics',
  description: 'Sends events and user properties to Amplitude (HTTP V2 API), and deletes users on erasure (User Privacy API).',
  settings,
  egress: (s: AmplitudeSettings) => [ingestionHost(s), privacyHost(s)],
  regions: (s: AmplitudeSettings) => [s.region],
  defaults: { ratePerSecond: 50, maxConcurrency: 4 },
  actions: {
    trackEvent: {
      title: 'Track events',
      description: 'track, page and screen events become Amplitude events (up to 2,000 and 1 MB per request).',
      subscribe: { types: ['track', 'page', 'screen'] },
      fields: eventFields,
      defaultMapping: {
        ...identityMapping,
        event_type: EVENT_NAME_MAPPING,
        time: { '@path': '$.timestamp' },
        event_properties: { '@path': '$.properties' },
        ip: { '@path': '$.context.ip' },
        language: { '@path': '$.context.locale' },
      },
      batch: { maxItems: MAX_EVENTS },
      perform: (ctx) => performAsBatchOfOne(ctx, send),
      performBatch: (ctx) => send(ctx, ctx.items),
    },
    identifyUser: {
      title: 'Identify users',
      description: 'identify events become `$identify` events that set the traits as user properties.',
      subscribe: { types: ['identify'] },
      fields: Type.Object({ ...identity, time: Type.String(), traits: Type.Optional(Type.Record(Type.String(), Type.Unknown())), ip: optionalText() }),
      defaultMapping: { ...identityMapping, time: { '@path': '$.timestamp' }, traits: { '@path': '$.traits' }, ip: { '@path': '$.context.ip' } },
      batch: { maxItems: MAX_EVENTS },
      perform: (ctx) => performAsBatchOfOne({ ...ctx, payload: identifyEvent(ctx.payload) }, send),
      performBatch: (ctx) =>
        send(
          ctx,
          ctx.items.map((item) => ({ ...item, payload: identifyEvent(item.payload) })),
        ),
    },
  },
  async onDelete(ctx) {
    const userId = ctx.user.identities.user_id;
    if (!userId) return;
    if (!ctx.settings.secretKey) {
      throw new PermanentError('settings.secretKey is required to delete users from Amplitude: add the project secret key', { code: 'NO_SECRET_KEY' });
    }
    const basic = Buffer.from(`${ctx.settings.apiKey}:${ctx.settings.secretKey}`).toString('base64');
    try {
      await ctx.http.post(`https://${privacyHost(ctx.settings)}/api/2/deletions/users`, {
        json: { user_ids: [userId], ignore_invalid_ids: true, ...(ctx.settings.deletionRequester ? { requester: ctx.settings.deletionRequester } : {}) },
        headers: { authorization: `Basic ${basic}` },
        signal: ctx.signal,
      });
    } catch (error) {
      throw amplitudeError(error, 'deletions/users');
    }
  },
});

/** Amplitude's SDKs send user properties as an `$identify` event whose `$set` operation sets each one. */
function identifyEvent(payload: { user_id?: string; device_id?: string; time: string; traits?: Record<string, unknown>; ip?: string }): EventPayload {
  const { traits, ...rest } = payload;
  return { ...rest, event_type: '$identify', user_properties: { $set: traits ?? {} } };
}
