import { createHash } from 'node:crypto';
import {
  defineConnector,
  EVENT_NAME_MAPPING,
  normalizeEmail,
  PermanentError,
  performAsBatchOfOne,
  sendSkipping,
  Type,
  type BatchItem,
  type BatchResult,
} from '@switchyard/sdk-kit';
import { engage, importEvents, MAX_RECORDS, mixpanelError, type Context } from './ingestion.js';
import { gdprHost, ingestionHost, settings, type MixpanelSettings } from './settings.js';

const ids = {
  user_id: Type.Optional(Type.String({ minLength: 1 })),
  anonymous_id: Type.Optional(Type.String({ minLength: 1 })),
};
const idMapping = { user_id: { '@path': '$.userId' }, anonymous_id: { '@path': '$.anonymousId' } };

/** Mixpanel's $insert_id: at most 36 letters, digits and dashes. Other messageIds are hashed into that shape. */
export const insertId = (messageId: string) =>
  /^[A-Za-z0-9-]{1,36}$/.test(messageId) ? messageId : createHash('sha256').update(messageId).digest('hex').slice(0, 36);

type EventPayload = { user_id?: string; anonymous_id?: string; event: string; time: string; properties?: Record<string, unknown>; ip?: string };

const toImport = ({ payload, messageId }: BatchItem<EventPayload>) => ({
  event: payload.event,
  properties: {
    ...payload.properties,
    time: Date.parse(payload.time),
    distinct_id: payload.user_id ?? payload.anonymous_id,
    $insert_id: insertId(messageId),
    ...(payload.user_id ? { $user_id: payload.user_id } : {}),
    ...(payload.anonymous_id ? { $device_id: payload.anonymous_id } : {}),
    ...(payload.ip ? { ip: payload.ip } : {}),
  },
});

/** Traits Mixpanel shows as reserved profile properties. */
const RESERVED_TRAITS: Record<string, string> = {
  email: '$email',
  firstName: '$first_name',
  lastName: '$last_name',
  name: '$name',
  phone: '$phone',
  avatar: '$avatar',
};
const profileSet = (traits: Record<string, unknown>) =>
  Object.fromEntries(
    Object.entries(traits).map(([key, value]) => [RESERVED_TRAITS[key] ?? key, key === 'email' && typeof value === 'string' ? normalizeEmail(value) : value]),
  );

/** Items without an id are skipped: Mixpanel has no user to attach them to. */
const sendWithId = <P extends { user_id?: string; anonymous_id?: string }>(items: BatchItem<P>[], send: (items: BatchItem<P>[]) => Promise<BatchResult>) =>
  sendSkipping(items, (i) => (i.payload.user_id || i.payload.anonymous_id ? undefined : { status: 'ok', code: 'NO_ID' }), send);

const trackEvents = (ctx: Context, items: BatchItem<EventPayload>[]) => sendWithId(items, (some) => importEvents(ctx, some.map(toImport)));
type ProfilePayload = { user_id?: string; anonymous_id?: string; traits?: Record<string, unknown>; ip?: string };
const updateProfiles = (ctx: Context, items: BatchItem<ProfilePayload>[]) =>
  sendWithId(items, (some) =>
    engage(
      ctx,
      some.map(({ payload }) => ({
        $distinct_id: payload.user_id ?? payload.anonymous_id,
        $set: profileSet(payload.traits ?? {}),
        ...(payload.ip ? { $ip: payload.ip } : {}),
      })),
    ),
  );

export default defineConnector({
  name: 'mixpanel',
  version: '0.1.0',
  category: 'analytics',
  description: 'Imports events (/import with a service account), sets user profile properties (/engage), and deletes users on erasure (GDPR API).',
  settings,
  egress: (s: MixpanelSettings) => [ingestionHost(s), gdprHost(s)],
  regions: (s: MixpanelSettings) => [s.region],
  defaults: { ratePerSecond: 20, maxConcurrency: 4 },
  actions: {
    trackEvent: {
      title: 'Track events',
      description: 'track, page and screen events are imported (POST /import?strict=1, up to 2,000 per request).',
      subscribe: { types: ['track', 'page', 'screen'] },
      fields: Type.Object({
        ...ids,
        event: Type.String({ minLength: 1 }),
        time: Type.String({ description: 'ISO-8601; sent as milliseconds since the epoch.' }),
        properties: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
        ip: Type.Optional(Type.String()),
      }),
      defaultMapping: {
        ...idMapping,
        event: EVENT_NAME_MAPPING,
        time: { '@path': '$.timestamp' },
        properties: { '@path': '$.properties' },
        ip: { '@path': '$.context.ip' },
      },
      batch: { maxItems: MAX_RECORDS },
      perform: (ctx) => performAsBatchOfOne(ctx, trackEvents),
      performBatch: (ctx) => trackEvents(ctx, ctx.items),
    },
    updateProfile: {
      title: 'Update user profiles',
      description: 'identify events $set the traits on the user profile (POST /engage, up to 2,000 per request).',
      subscribe: { types: ['identify'] },
      fields: Type.Object({ ...ids, traits: Type.Optional(Type.Record(Type.String(), Type.Unknown())), ip: Type.Optional(Type.String()) }),
      defaultMapping: { ...idMapping, traits: { '@path': '$.traits' }, ip: { '@path': '$.context.ip' } },
      batch: { maxItems: MAX_RECORDS },
      perform: (ctx) => performAsBatchOfOne(ctx, updateProfiles),
      performBatch: (ctx) => updateProfiles(ctx, ctx.items),
    },
  },
  async onDelete(ctx) {
    const distinctIds = [ctx.user.identities.user_id, ctx.user.identities.anonymous_id].filter((id): id is string => Boolean(id));
    if (distinctIds.length === 0) return;
    if (!ctx.settings.gdprToken) {
      throw new PermanentError('settings.gdprToken is required to delete users from Mixpanel: add an OAuth token for the GDPR API', { code: 'NO_GDPR_TOKEN' });
    }
    try {
      await ctx.http.post(`https://${gdprHost(ctx.settings)}/api/app/data-deletions/v3.0/`, {
        searchParams: { token: ctx.settings.projectToken },
        json: { distinct_ids: distinctIds, compliance_type: 'GDPR' },
        headers: { authorization: `Bearer ${ctx.settings.gdprToken}` },
        signal: ctx.signal,
      });
    } catch (error) {
      throw mixpanelError(error, 'data-deletions');
    }
  },
});
