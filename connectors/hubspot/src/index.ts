import { createHash } from 'node:crypto';
import {
  defineConnector,
  normalizeEmail,
  PermanentError,
  sendInChunks,
  performAsBatchOfOne,
  Type,
  type BatchEntry,
  type BatchResult,
  type CanonicalEvent,
  traitMapping,
} from '@switchyard/sdk-kit';
import { post, type Context } from './hubspot-api.js';

export { hubspotError } from './hubspot-api.js';

/** HubSpot's limits: 100 contacts per batch upsert, 500 occurrences per events batch. */
export const MAX_CONTACTS = 100;
export const MAX_EVENTS = 500;

const settings = Type.Object(
  {
    accessToken: Type.String({
      secret: true,
      pattern: '^pat-[a-z0-9]+-',
      description: 'Private app access token (pat-…) with crm.objects.contacts.write and analytics.behavioral_events.send.',
    }),
    portalId: Type.Optional(Type.String({ pattern: '^[0-9]+$', description: 'Your Hub ID: custom events are sent as pe<portalId>_<snake_case event name>.' })),
    eventNames: Type.Record(Type.String(), Type.String({ pattern: '^pe[0-9]+_[a-z0-9_]+$' }), {
      default: {},
      description: "Event name → the custom event's fully qualified name (pe<HubID>_name), taking precedence over the portalId rule.",
    }),
  },
  { additionalProperties: false },
);
type Settings = typeof settings.static;

const snake = (name: string) =>
  name
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_|_$/g, '');
/** A UUID from the message id, so a re-delivered occurrence is the same occurrence to HubSpot. */
const occurrenceId = (messageId: string) => {
  const h = createHash('sha256').update(messageId).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
};
const scalar = (v: unknown) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
const scalars = (o: Record<string, unknown> = {}) => Object.fromEntries(Object.entries(o).filter(([, v]) => scalar(v)));
const skip = (code: string) => ({ status: 'ok' as const, code });

interface ContactPayload {
  email?: string;
  properties?: Record<string, unknown>;
}
interface EventPayload {
  email?: string;
  utk?: string;
  occurredAt: string;
  properties?: Record<string, unknown>;
}
type Item<P> = { payload: P; event: CanonicalEvent };

/** Contacts by email, one input per address (HubSpot refuses a batch naming an id twice): a later event's properties win. */
async function upsertContacts(ctx: Context, items: Item<ContactPayload>[]): Promise<BatchResult> {
  const results: BatchResult = new Array(items.length).fill(undefined);
  const byEmail = new Map<string, { properties: Record<string, unknown>; indexes: number[] }>();
  items.forEach(({ payload }, i) => {
    const email = payload.email ? normalizeEmail(payload.email) : '';
    if (!email.includes('@')) return void (results[i] = skip('NO_EMAIL'));
    const entry = byEmail.get(email) ?? { properties: {}, indexes: [] };
    Object.assign(entry.properties, scalars(payload.properties));
    entry.indexes.push(i);
    byEmail.set(email, entry);
  });
  const entries = [...byEmail].map(([email, { properties, indexes }]) => ({
    item: indexes,
    payload: { idProperty: 'email', id: email, properties: { ...properties, email } },
  }));
  return sendInChunks(results, entries, MAX_CONTACTS, async (inputs) => {
    const { statusCode, body } = await post<{ errors?: Array<{ message?: string; context?: { ids?: string[] } }> }>(
      ctx,
      '/crm/v3/objects/contacts/batch/upsert',
      { inputs },
      'contacts batch upsert',
    );
    // 207: some inputs failed, each error naming the ids it concerns.
    if (statusCode === 207 && (body.errors ?? []).some((e) => e.context?.ids?.length)) {
      throw new PermanentError(`HubSpot refused contacts: ${body.errors!.map((e) => e.message).join('; ')}`, { code: 'HUBSPOT_MULTI_STATUS', httpStatus: 207 });
    }
  });
}

function eventNameOf(event: CanonicalEvent, s: Settings): string | undefined {
  const name = event.event ?? '';
  return s.eventNames[name] ?? (s.portalId && snake(name) ? `pe${s.portalId}_${snake(name)}` : undefined);
}

/** Custom event occurrences through /events/v3/send/batch (204, no body); an invalid occurrence fails alone. */
async function sendEvents(ctx: Context & { settings: Settings }, items: Item<EventPayload>[]): Promise<BatchResult> {
  const results: BatchResult = new Array(items.length).fill(undefined);
  const entries: Array<BatchEntry<Record<string, unknown>>> = [];
  items.forEach(({ payload, event }, item) => {
    const eventName = eventNameOf(event, ctx.settings);
    const email = payload.email ? normalizeEmail(payload.email) : undefined;
    if (!eventName) results[item] = skip('NO_EVENT_DEFINITION');
    else if (!email && !payload.utk) results[item] = skip('NO_EMAIL');
    else {
      const who = email ? { email } : { utk: payload.utk };
      entries.push({
        item,
        payload: { eventName, ...who, occurredAt: payload.occurredAt, uuid: occurrenceId(event.messageId), properties: scalars(payload.properties) },
      });
    }
  });
  return sendInChunks(results, entries, MAX_EVENTS, (inputs) => post(ctx, '/events/v3/send/batch', { inputs }, 'events send batch'));
}

export default defineConnector({
  name: 'hubspot',
  version: '0.1.0',
  category: 'crm',
  description: 'Upserts HubSpot contacts by email (CRM v3 batch upsert), sends custom behavioral events, and GDPR-deletes contacts on erasure.',
  settings,
  egress: ['api.hubapi.com'],
  regions: ['us'],
  // Private apps get 100–190 requests per 10 seconds.
  defaults: { ratePerSecond: 9, maxConcurrency: 2 },
  actions: {
    upsertContact: {
      title: 'Upsert contacts',
      description: `identify events create or update the contact with that email (${MAX_CONTACTS} per request).`,
      subscribe: { types: ['identify'] },
      fields: Type.Object({ email: Type.Optional(Type.String()), properties: Type.Optional(Type.Record(Type.String(), Type.Unknown())) }),
      defaultMapping: {
        email: traitMapping('email'),
        properties: {
          firstname: traitMapping('firstName'),
          lastname: traitMapping('lastName'),
          phone: traitMapping('phone'),
          company: traitMapping('company'),
          website: traitMapping('website'),
          city: traitMapping('address.city'),
          state: traitMapping('address.state'),
          zip: traitMapping('address.postalCode'),
          country: traitMapping('address.country'),
        },
      },
      batch: { maxItems: MAX_CONTACTS },
      perform: (ctx) => performAsBatchOfOne(ctx, upsertContacts),
      performBatch: (ctx) => upsertContacts(ctx, ctx.items),
    },
    sendCustomEvent: {
      title: 'Send custom events',
      description: 'track events with a custom event definition become event occurrences on the contact with that email.',
      subscribe: { types: ['track'] },
      fields: Type.Object({
        email: Type.Optional(Type.String()),
        utk: Type.Optional(Type.String({ description: 'The hubspotutk cookie, for visitors without an email.' })),
        occurredAt: Type.String(),
        properties: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
      }),
      defaultMapping: {
        email: { '@firstOf': [traitMapping('email'), { '@path': '$.properties.email' }, { '@path': '$.identities.email' }] },
        utk: { '@path': '$.context.hubspotutk' },
        occurredAt: { '@path': '$.timestamp' },
        properties: { '@path': '$.properties' },
      },
      batch: { maxItems: MAX_EVENTS },
      perform: (ctx) => performAsBatchOfOne(ctx, sendEvents),
      performBatch: (ctx) => sendEvents(ctx, ctx.items),
    },
  },
  async onDelete(ctx) {
    const email = ctx.user.identities.email ? normalizeEmail(ctx.user.identities.email) : '';
    if (!email) return;
    try {
      await post(ctx, '/crm/v3/objects/contacts/gdpr-delete', { objectId: email, idProperty: 'email' }, 'GDPR delete');
    } catch (error) {
      // The contact is not there (never synced, or already deleted): nothing to erase.
      if ((error as { httpStatus?: number }).httpStatus === 404) return;
      throw error;
    }
  },
});
