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
import { AUDIENCE_IDENTIFIERS, MAX_MAPPINGS, syncSegment, syncSettings } from './segment-mapping.js';
import { tikTokError, type TikTokResponse } from './tiktok-errors.js';
import { toTikTokEvent, type TikTokPayload } from './tiktok-event.js';

export { STANDARD_EVENTS } from './tiktok-event.js';
export { tikTokError } from './tiktok-errors.js';

export const TRACK_URL = 'https://business-api.tiktok.com/open_api/v1.3/event/track/';

const settings = Type.Object(
  {
    pixelCode: Type.String({ pattern: '^[A-Z0-9]+$', description: 'The TikTok Pixel code (event_source_id).' }),
    accessToken: Type.String({ secret: true, minLength: 10, description: 'Events API access token generated for the pixel.' }),
    testEventCode: Type.Optional(Type.String({ description: 'Sends events to Test Events in TikTok Events Manager.' })),
    eventNames: Type.Record(Type.String(), Type.String(), {
      default: {},
      description: 'Track event name → TikTok event name, over the built-in e-commerce names (Order Completed → CompletePayment, …).',
    }),
    advertiserId: Type.Optional(
      Type.String({ pattern: '^[0-9]+$', description: 'The ad account (advertiser id) whose audience segments audience syncs keep.' }),
    ),
    marketingAccessToken: Type.Optional(
      Type.String({
        secret: true,
        minLength: 10,
        description: 'A TikTok Marketing API access token with audience permission on that ad account, for audience syncs.',
      }),
    ),
  },
  { additionalProperties: false },
);

type Settings = typeof settings.static;
type Context = Pick<PerformContext<Settings, unknown>, 'http' | 'settings' | 'signal'>;
const optionalText = () => Type.Optional(Type.String());

async function send(ctx: Context, data: Record<string, unknown>[]): Promise<void> {
  const body = {
    event_source: 'web',
    event_source_id: ctx.settings.pixelCode,
    ...(ctx.settings.testEventCode ? { test_event_code: ctx.settings.testEventCode } : {}),
    data,
  };
  const response = await ctx.http
    .post(TRACK_URL, {
      json: body,
      headers: { 'access-token': ctx.settings.accessToken },
      signal: ctx.signal,
    })
    .json<TikTokResponse>();
  // TikTok reports errors in the body of an HTTP 200.
  if (response.code !== 0) throw tikTokError(response);
}

function build(payload: TikTokPayload, event: Parameters<typeof toTikTokEvent>[1], s: Settings) {
  try {
    return toTikTokEvent(payload, event, s.eventNames);
  } catch (error) {
    throw new PermanentError(`tiktok-events: ${(error as Error).message}`, { code: 'PAYLOAD_INVALID' });
  }
}

export default defineConnector({
  name: 'tiktok-events',
  version: '0.1.0',
  category: 'advertising',
  description: 'Sends web conversions to the TikTok Events API 2.0 with hashed identifiers, and keeps audience segments of audience syncs.',
  settings,
  egress: ['business-api.tiktok.com'],
  regions: ['us'],
  defaults: { ratePerSecond: 50, maxConcurrency: 4 },
  actions: {
    trackEvent: {
      title: 'Send web events',
      description: 'Track events become Events API 2.0 web events (up to 1,000 per request).',
      subscribe: { types: ['track'] },
      fields: Type.Object({
        event: Type.String({ minLength: 1 }),
        event_time: Type.Union([Type.String(), Type.Number()]),
        event_id: Type.String({ minLength: 1, description: "Deduplication key shared with the pixel's event_id." }),
        user: Type.Object({
          email: optionalText(),
          phone: optionalText(),
          external_id: optionalText(),
          ip: optionalText(),
          user_agent: optionalText(),
          ttclid: optionalText(),
          ttp: optionalText(),
          locale: optionalText(),
        }),
        properties: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
        page: Type.Optional(Type.Object({ url: optionalText(), referrer: optionalText() })),
      }),
      defaultMapping: {
        event: { '@path': '$.event' },
        event_time: { '@path': '$.timestamp' },
        event_id: { '@path': '$.messageId' },
        user: {
          email: { '@firstOf': [traitOrPropertyMapping('email'), { '@path': '$.identities.email' }] },
          phone: traitOrPropertyMapping('phone'),
          external_id: { '@path': '$.userId' },
          ip: { '@path': '$.context.ip' },
          user_agent: { '@path': '$.context.userAgent' },
          ttclid: { '@firstOf': [{ '@path': '$.properties.ttclid' }, { '@path': '$.context.campaign.ttclid' }] },
          ttp: { '@path': '$.properties.ttp' },
          locale: { '@path': '$.context.locale' },
        },
        properties: {
          value: { '@firstOf': [{ '@path': '$.properties.value' }, { '@path': '$.properties.revenue' }, { '@path': '$.properties.total' }] },
          currency: { '@path': '$.properties.currency' },
          order_id: { '@path': '$.properties.order_id' },
          query: { '@path': '$.properties.query' },
          content_type: { '@if': { exists: { '@path': '$.properties.products' }, then: 'product' } },
          contents: {
            '@arrayPath': [
              '$.properties.products',
              {
                content_id: { '@path': '$.product_id' },
                content_name: { '@path': '$.name' },
                quantity: { '@path': '$.quantity' },
                price: { '@path': '$.price' },
              },
            ],
          },
        },
        page: { url: { '@path': '$.context.page.url' }, referrer: { '@path': '$.context.page.referrer' } },
      },
      batch: { maxItems: 1000 },
      async perform(ctx) {
        await send(ctx, [build(ctx.payload as TikTokPayload, ctx.event, ctx.settings)]);
      },
      async performBatch(ctx): Promise<BatchResult> {
        const results: BatchResult = new Array(ctx.items.length).fill(undefined);
        const data: Record<string, unknown>[] = [];
        const indexes: number[] = [];
        ctx.items.forEach((item, i) => {
          try {
            data.push(build(item.payload as TikTokPayload, item.event, ctx.settings));
            indexes.push(i);
          } catch (error) {
            results[i] = classifyError(error);
          }
        });
        // One invalid event makes TikTok refuse the whole request: only that one fails.
        const sent = await sendSplittingOnRefusal(data, (part) => send(ctx, part));
        indexes.forEach((i, n) => (results[i] = sent[n]));
        return results;
      },
    },
  },
  audience: {
    identifiers: AUDIENCE_IDENTIFIERS,
    maxMembersPerCall: MAX_MAPPINGS,
    advertising: true,
    syncSettings,
    sync: (ctx) => syncSegment(ctx),
  },
});
