import {
  defineConnector,
  normalizeE164,
  normalizeEmail,
  performAsBatchOfOne,
  Type,
  type BatchResult,
  type CanonicalEvent,
  traitMapping,
} from '@switchyard/sdk-kit';
import { AUDIENCE_IDENTIFIERS, syncAttribute, syncSettings } from './audience-sync.js';
import { settings, type BrazeSettings } from './settings.js';
import { authHeaders, brazeError, MAX_PER_ARRAY, track, type Context, type Entry, type TrackArray } from './users-track.js';

export { retryAfterFromReset } from './users-track.js';

/** The Segment e-commerce event that becomes Braze purchases. */
export const PURCHASE_EVENT = 'Order Completed';

const optionalText = () => Type.Optional(Type.String());
const externalId = Type.Optional(Type.String({ minLength: 1, description: 'Braze external_id; events without one are skipped (NO_EXTERNAL_ID).' }));

type Item<P> = { payload: P & { external_id?: string }; event: CanonicalEvent };

/** Builds each item's objects, skips items without an external_id, and sends them in one array. */
async function sendItems<P>(
  ctx: Context,
  array: TrackArray,
  items: Item<P>[],
  build: (item: Item<P>, settings: BrazeSettings) => Record<string, unknown>[],
): Promise<BatchResult> {
  const skipped: BatchResult = items.map((item) => (item.payload.external_id ? undefined : { status: 'ok', code: 'NO_EXTERNAL_ID' }));
  const entries: Entry[] = items.flatMap((item, index) => {
    if (skipped[index]) return [];
    const objects = build(item, ctx.settings);
    if (objects.length === 0) skipped[index] = { status: 'ok', code: 'NOTHING_TO_SEND' };
    return objects.map((object) => ({ item: index, object }));
  });
  const sent = await track(ctx, array, entries, items.length);
  return sent.map((result, i) => skipped[i] ?? result);
}

const compact = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== null && v !== ''));

interface AttributesPayload {
  external_id?: string;
  custom_attributes?: Record<string, unknown>;
  [standard: string]: unknown;
}
interface EventPayload {
  external_id?: string;
  name: string;
  time: string;
  properties?: Record<string, unknown>;
}
interface PurchasePayload {
  external_id?: string;
  time: string;
  currency?: string;
  products: Array<{ product_id?: string; price?: number; quantity?: number }>;
  properties?: Record<string, unknown>;
}

/**
 * Traits the default mapping already sends as standard attributes: not repeated as custom attributes, since
 * Braze bills every attribute written as a data point.
 */
export const TRAITS_SENT_AS_STANDARD = ['email', 'firstName', 'lastName', 'phone', 'address', 'birthday', 'gender'];

/** Braze takes gender as M, F, O, U, N or P; other values are left out rather than guessed. */
export function brazeGender(value: unknown): string | undefined {
  const text = typeof value === 'string' ? value.trim().toLowerCase() : '';
  if (text === 'male' || text === 'man') return 'M';
  if (text === 'female' || text === 'woman') return 'F';
  return /^[mfounp]$/.test(text) ? text.toUpperCase() : undefined;
}

/**
 * Braze refuses an email with whitespace (HTTP 400) and wants phones in E.164: both are normalised whatever the
 * mapping, and left out when nothing usable remains.
 */
function contactFields(email: unknown, phone: unknown, settings: BrazeSettings) {
  const address = typeof email === 'string' ? normalizeEmail(email) : '';
  const number = typeof phone === 'string' ? normalizeE164(phone, settings.phoneCountryCode) : '';
  return {
    email: address && !/\s/.test(address) ? address : undefined,
    phone: /^\+[1-9][0-9]{6,14}$/.test(number) ? number : undefined,
  };
}

const buildAttributes = ({ payload }: Item<AttributesPayload>, settings: BrazeSettings) => {
  const { custom_attributes: custom = {}, gender, email, phone, ...rest } = payload;
  const standard = { ...rest, ...contactFields(email, phone, settings), gender: brazeGender(gender) };
  const extra = Object.fromEntries(Object.entries(custom).filter(([key]) => !TRAITS_SENT_AS_STANDARD.includes(key)));
  return [compact({ ...extra, ...standard })];
};
const buildEvent = ({ payload }: Item<EventPayload>) => [compact({ ...payload })];
const buildPurchases = ({ payload }: Item<PurchasePayload>) =>
  payload.products
    .filter((p) => p.product_id !== undefined && p.price !== undefined)
    .map((p) =>
      compact({
        external_id: payload.external_id,
        product_id: String(p.product_id),
        currency: payload.currency ?? 'USD',
        price: Number(p.price),
        quantity: p.quantity ?? 1,
        time: payload.time,
        properties: payload.properties,
      }),
    );

const updateAttributes = (ctx: Context, items: Item<AttributesPayload>[]) => sendItems(ctx, 'attributes', items, buildAttributes);
const trackEvents = (ctx: Context, items: Item<EventPayload>[]) => sendItems(ctx, 'events', items, buildEvent);
const trackPurchases = (ctx: Context, items: Item<PurchasePayload>[]) => sendItems(ctx, 'purchases', items, buildPurchases);

export default defineConnector({
  name: 'braze',
  version: '0.1.0',
  category: 'email',
  description:
    'Sends user attributes, custom events and purchases to Braze (/users/track), keeps audience syncs in a custom attribute, and deletes users on erasure.',
  settings,
  egress: (s: BrazeSettings) => [new URL(s.restEndpoint).host],
  regions: (s: BrazeSettings) => [s.restEndpoint.endsWith('.braze.eu') ? 'eu' : 'us'],
  defaults: { ratePerSecond: 100, maxConcurrency: 4 },
  actions: {
    updateUserProfile: {
      title: 'Update user profiles',
      description: 'identify events become attributes objects (75 per request).',
      subscribe: { types: ['identify'] },
      fields: Type.Object({
        external_id: externalId,
        email: optionalText(),
        first_name: optionalText(),
        last_name: optionalText(),
        phone: optionalText(),
        country: optionalText(),
        home_city: optionalText(),
        dob: optionalText(),
        gender: optionalText(),
        custom_attributes: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
      }),
      defaultMapping: {
        external_id: { '@path': '$.userId' },
        email: traitMapping('email'),
        first_name: traitMapping('firstName'),
        last_name: traitMapping('lastName'),
        phone: traitMapping('phone'),
        country: traitMapping('address.country'),
        home_city: traitMapping('address.city'),
        dob: traitMapping('birthday'),
        gender: traitMapping('gender'),
        custom_attributes: { '@path': '$.traits' },
      },
      batch: { maxItems: MAX_PER_ARRAY },
      perform: (ctx) => performAsBatchOfOne(ctx, updateAttributes),
      performBatch: (ctx) => updateAttributes(ctx, ctx.items),
    },
    trackEvent: {
      title: 'Track custom events',
      description: `track events other than "${PURCHASE_EVENT}" become custom events (75 per request).`,
      subscribe: { types: ['track'], where: (event) => event.event !== PURCHASE_EVENT },
      fields: Type.Object({
        external_id: externalId,
        name: Type.String({ minLength: 1 }),
        time: Type.String({ description: 'ISO-8601.' }),
        properties: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
      }),
      defaultMapping: {
        external_id: { '@path': '$.userId' },
        name: { '@path': '$.event' },
        time: { '@path': '$.timestamp' },
        properties: { '@path': '$.properties' },
      },
      batch: { maxItems: MAX_PER_ARRAY },
      perform: (ctx) => performAsBatchOfOne(ctx, trackEvents),
      performBatch: (ctx) => trackEvents(ctx, ctx.items),
    },
    trackPurchase: {
      title: 'Track purchases',
      description: `"${PURCHASE_EVENT}" events become one purchase per product (75 purchases per request).`,
      subscribe: { types: ['track'], where: (event) => event.event === PURCHASE_EVENT },
      fields: Type.Object({
        external_id: externalId,
        time: Type.String(),
        currency: Type.Optional(Type.String({ pattern: '^[A-Za-z]{3}$' })),
        products: Type.Array(
          Type.Object({
            product_id: Type.Optional(Type.String()),
            price: Type.Optional(Type.Number()),
            quantity: Type.Optional(Type.Integer({ minimum: 1 })),
          }),
        ),
        properties: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
      }),
      defaultMapping: {
        external_id: { '@path': '$.userId' },
        time: { '@path': '$.timestamp' },
        currency: { '@case': { value: { '@path': '$.properties.currency' }, to: 'upper' } },
        products: {
          '@firstOf': [
            {
              '@arrayPath': [
                '$.properties.products',
                { product_id: { '@path': '$.product_id' }, price: { '@path': '$.price' }, quantity: { '@path': '$.quantity' } },
              ],
            },
            { '@literal': [] },
          ],
        },
        properties: { order_id: { '@path': '$.properties.order_id' } },
      },
      batch: { maxItems: MAX_PER_ARRAY },
      perform: (ctx) => performAsBatchOfOne(ctx, trackPurchases),
      performBatch: (ctx) => trackPurchases(ctx, ctx.items),
    },
  },
  audience: {
    identifiers: AUDIENCE_IDENTIFIERS,
    maxMembersPerCall: MAX_PER_ARRAY,
    syncSettings,
    sync: (ctx) => syncAttribute(ctx),
  },
  async onDelete(ctx) {
    const externalIdToDelete = ctx.user.identities.user_id;
    if (!externalIdToDelete) return;
    try {
      await ctx.http.post(`${ctx.settings.restEndpoint}/users/delete`, {
        json: { external_ids: [externalIdToDelete] },
        headers: authHeaders(ctx.settings),
        signal: ctx.signal,
      });
    } catch (error) {
      throw brazeError(error, 'users/delete');
    }
  },
});
