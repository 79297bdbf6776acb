import {
  classifyError,
  defineConnector,
  PermanentError,
  sendSplittingOnRefusal,
  Type,
  type BatchResult,
  type PerformContext,
  traitOrPropertyMapping,
} from '@switchyard/sdk-kit';
import { GRAPH_HOST, graphApiVersion, graphUrl, toGraphError } from '@switchyard/sdk-kit/meta-graph';
import { toServerEvent, type ConversionPayload } from './server-event.js';

export { STANDARD_EVENTS } from './server-event.js';

const ACTION_SOURCES = ['website', 'app', 'email', 'phone_call', 'chat', 'physical_store', 'system_generated', 'business_messaging', 'other'];

const settings = Type.Object(
  {
    pixelId: Type.String({ pattern: '^[0-9]+$', description: 'The Meta Pixel (dataset) id events are sent to.' }),
    accessToken: Type.String({ secret: true, minLength: 10, description: 'A system-user access token with ads_management on the pixel.' }),
    apiVersion: graphApiVersion(),
    actionSource: Type.Union(
      ACTION_SOURCES.map((s) => Type.Literal(s)),
      {
        default: 'website',
        description: 'Where conversions happened, when the mapping does not say.',
      },
    ),
    testEventCode: Type.Optional(Type.String({ description: 'Sends events to Test Events in Events Manager instead of live.' })),
    eventNames: Type.Record(Type.String(), Type.String({ minLength: 1 }), {
      default: {},
      description: 'Track event name → Meta event name, over the built-in e-commerce names (Order Completed → Purchase, …).',
    }),
  },
  { additionalProperties: false },
);

type Settings = typeof settings.static;

const hashedOrList = Type.Union([Type.String(), Type.Array(Type.String())]);

const fields = Type.Object({
  event_name: Type.String({ minLength: 1, description: 'Standard event (Purchase, Lead, …) or a custom name.' }),
  event_time: Type.Union([Type.String(), Type.Number()], { description: 'ISO-8601 or unix time; sent as unix seconds.' }),
  event_id: Type.String({ minLength: 1, description: 'Deduplication key shared with the browser pixel.' }),
  action_source: Type.Optional(Type.String()),
  event_source_url: Type.Optional(Type.String()),
  opt_out: Type.Optional(Type.Boolean({ description: 'true: use the event for attribution only, not delivery optimisation.' })),
  user_data: Type.Object(
    {
      em: Type.Optional(hashedOrList),
      ph: Type.Optional(hashedOrList),
      fn: Type.Optional(Type.String()),
      ln: Type.Optional(Type.String()),
      ge: Type.Optional(Type.String()),
      db: Type.Optional(Type.String()),
      ct: Type.Optional(Type.String()),
      st: Type.Optional(Type.String()),
      zp: Type.Optional(Type.String()),
      country: Type.Optional(Type.String()),
      external_id: Type.Optional(hashedOrList),
      client_ip_address: Type.Optional(Type.String()),
      client_user_agent: Type.Optional(Type.String()),
      fbc: Type.Optional(Type.String()),
      fbp: Type.Optional(Type.String()),
    },
    { description: "Raw or already-hashed identifiers; the connector hashes by Meta's rules." },
  ),
  custom_data: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
});

const defaultMapping = {
  event_name: { '@if': { value: { '@path': '$.type' }, equals: 'page', then: 'PageView', else: { '@path': '$.event' } } },
  event_time: { '@path': '$.timestamp' },
  event_id: { '@path': '$.messageId' },
  event_source_url: { '@path': '$.context.page.url' },
  user_data: {
    em: { '@firstOf': [traitOrPropertyMapping('email'), { '@path': '$.identities.email' }] },
    ph: { '@firstOf': [traitOrPropertyMapping('phone'), { '@path': '$.identities.phone' }] },
    fn: traitOrPropertyMapping('firstName'),
    ln: traitOrPropertyMapping('lastName'),
    ge: traitOrPropertyMapping('gender'),
    db: traitOrPropertyMapping('birthday'),
    ct: { '@firstOf': [traitOrPropertyMapping('address.city'), { '@path': '$.context.location.city' }] },
    st: traitOrPropertyMapping('address.state'),
    zp: traitOrPropertyMapping('address.postalCode'),
    country: { '@firstOf': [traitOrPropertyMapping('address.country'), { '@path': '$.context.location.country' }] },
    external_id: { '@path': '$.userId' },
    client_ip_address: { '@path': '$.context.ip' },
    client_user_agent: { '@path': '$.context.userAgent' },
    fbc: { '@path': '$.properties.fbc' },
    fbp: { '@path': '$.properties.fbp' },
  },
  custom_data: {
    value: { '@firstOf': [{ '@path': '$.properties.value' }, { '@path': '$.properties.revenue' }, { '@path': '$.properties.total' }] },
    currency: { '@path': '$.properties.currency' },
    order_id: { '@path': '$.properties.order_id' },
    content_ids: { '@arrayPath': ['$.properties.products', { '@path': '$.product_id' }] },
    contents: {
      '@arrayPath': ['$.properties.products', { id: { '@path': '$.product_id' }, quantity: { '@path': '$.quantity' }, item_price: { '@path': '$.price' } }],
    },
    content_type: { '@if': { exists: { '@path': '$.properties.products' }, then: 'product' } },
    num_items: { '@path': '$.properties.num_items' },
  },
};

type SendContext = Pick<PerformContext<Settings, unknown>, 'http' | 'settings' | 'signal'>;

async function sendEvents(ctx: SendContext, data: Record<string, unknown>[]): Promise<void> {
  const { pixelId, apiVersion, accessToken, testEventCode } = ctx.settings;
  try {
    await ctx.http.post(graphUrl(apiVersion, `${pixelId}/events`), {
      json: { data, access_token: accessToken, ...(testEventCode ? { test_event_code: testEventCode } : {}) },
      signal: ctx.signal,
    });
  } catch (error) {
    throw toGraphError(error);
  }
}

function build(payload: ConversionPayload, event: Parameters<typeof toServerEvent>[1], s: Settings) {
  try {
    return toServerEvent(payload, event, s.actionSource, s.eventNames);
  } catch (error) {
    throw new PermanentError(`facebook-capi: ${(error as Error).message}`, { code: 'PAYLOAD_INVALID' });
  }
}

export default defineConnector({
  name: 'facebook-capi',
  version: '0.1.0',
  category: 'advertising',
  description: "Sends conversions to the Meta Conversions API with user data hashed by Meta's rules.",
  settings,
  egress: [GRAPH_HOST],
  regions: ['us'],
  defaults: { ratePerSecond: 50, maxConcurrency: 4 },
  actions: {
    trackEvent: {
      title: 'Send conversion events',
      description: 'Track and page events become Conversions API server events (up to 1,000 per request).',
      subscribe: { types: ['track', 'page', 'commerce'] },
      fields,
      defaultMapping,
      batch: { maxItems: 1000 },
      async perform(ctx) {
        await sendEvents(ctx, [build(ctx.payload as ConversionPayload, ctx.event, ctx.settings)]);
      },
      async performBatch(ctx): Promise<BatchResult> {
        const built: Array<Record<string, unknown> | undefined> = [];
        const results: BatchResult = ctx.items.map((item, i) => {
          try {
            built[i] = build(item.payload as ConversionPayload, item.event, ctx.settings);
            return undefined;
          } catch (error) {
            return classifyError(error);
          }
        });
        const sendable = built.flatMap((data, i) => (data ? [{ data, i }] : []));
        // Meta rejects a whole request for one invalid event: only that event fails.
        const sent = await sendSplittingOnRefusal(
          sendable.map((s) => s.data),
          (data) => sendEvents(ctx, data),
        );
        sendable.forEach(({ i }, n) => (results[i] = sent[n]));
        return results;
      },
    },
  },
});
