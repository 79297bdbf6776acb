import {
  defineConnector,
  errorForHttpStatus,
  PermanentError,
  sendSplittingOnRefusal,
  throwIfFailed,
  Type,
  type BatchResult,
  type CanonicalEvent,
  type PerformContext,
  traitOrPropertyMapping,
} from '@switchyard/sdk-kit';
import { ADS_API as ADS_API_HOST, MAX_SEGMENT_USERS, segmentIdentifiers, syncSegmentUsers, syncSettings, TOKEN_URL } from './segment-users.js';
import { snapEventName, toSnapEvent, type SnapPayload } from './snap-event.js';

export { STANDARD_EVENTS } from './snap-event.js';

/** Events per request: the runtime's batches are cut to this size. */
export const MAX_EVENTS = 2000;

const settings = Type.Object(
  {
    pixelId: Type.String({ pattern: '^[0-9a-fA-F-]{36}$', description: 'The Snap Pixel id (a UUID).' }),
    accessToken: Type.String({ secret: true, minLength: 10, description: 'Conversions API token generated in Ads Manager for the pixel.' }),
    validateOnly: Type.Boolean({ default: false, description: 'Send to /events/validate: checked by Snap but not recorded (for setup).' }),
    eventNames: Type.Record(Type.String(), Type.String({ pattern: '^[A-Z_0-9]+$' }), {
      default: {},
      description: 'Track event name → Snap event name (PURCHASE, SIGN_UP, CUSTOM_EVENT_1, …), over the built-in names.',
    }),
    marketingClientId: Type.Optional(Type.String({ minLength: 5, description: 'Client id of your Snap Marketing API OAuth app, for audience syncs.' })),
    marketingClientSecret: Type.Optional(Type.String({ secret: true, minLength: 5, description: 'Its client secret.' })),
    marketingRefreshToken: Type.Optional(
      Type.String({ secret: true, minLength: 10, description: 'A refresh token of a user with access to the ad account (scope snapchat-marketing-api).' }),
    ),
  },
  { additionalProperties: false },
);

type Settings = typeof settings.static;
type Context = Pick<PerformContext<Settings, unknown>, 'http' | 'settings' | 'signal'>;
const optionalText = () => Type.Optional(Type.String());

interface HttpErrorShape {
  response?: { statusCode: number; headers: Record<string, string | string[] | undefined>; body?: unknown };
}
interface SnapResponse {
  status?: string;
  reason?: string;
}

/** Snap's body carries `status` and `reason`; a 200 with a failure status is still a failure. */
const FAILED_STATUSES = new Set(['INVALID', 'FAILED', 'ERROR']);

function snapError(thrown: unknown): unknown {
  const response = (thrown as HttpErrorShape | null)?.response;
  if (!response) return thrown;
  let body: SnapResponse = {};
  try {
    body = JSON.parse(String(response.body));
  } catch {
    /* not JSON */
  }
  const detail = `Snap Conversions API${body.status ? ` ${body.status}` : ''}${body.reason ? `: ${body.reason}` : ''}`;
  return errorForHttpStatus(response.statusCode, response.headers, detail) ?? thrown;
}

async function send(ctx: Context, data: Record<string, unknown>[]): Promise<void> {
  const path = `https://tr.snapchat.com/v3/${ctx.settings.pixelId}/events${ctx.settings.validateOnly ? '/validate' : ''}`;
  let body: SnapResponse;
  try {
    body = await ctx.http
      .post(path, {
        searchParams: { access_token: ctx.settings.accessToken },
        json: { data },
        signal: ctx.signal,
      })
      .json<SnapResponse>();
  } catch (error) {
    throw snapError(error);
  }
  if (body?.status && FAILED_STATUSES.has(body.status.toUpperCase())) {
    throw new PermanentError(`Snap Conversions API ${body.status}: ${body.reason ?? 'no reason given'}`, { code: `SNAP_${body.status.toUpperCase()}` });
  }
}

type Item = { payload: SnapPayload; event: CanonicalEvent };

async function sendEvents(ctx: Context, items: Item[]): Promise<BatchResult> {
  const results: BatchResult = new Array(items.length).fill(undefined);
  const data: Record<string, unknown>[] = [];
  const indexes: number[] = [];
  items.forEach((item, i) => {
    const name = snapEventName(item.payload.event_name, ctx.settings.eventNames);
    if (!name) {
      results[i] = { status: 'ok', code: 'UNMAPPED_EVENT' };
      return;
    }
    try {
      data.push(toSnapEvent(item.payload, item.event, name));
      indexes.push(i);
    } catch (error) {
      results[i] = new PermanentError(`snap-capi: ${(error as Error).message}`, { code: 'PAYLOAD_INVALID' }).toResult();
    }
  });
  // One invalid event can make Snap refuse the whole request: only that one fails.
  const sent = await sendSplittingOnRefusal(data, (part) => send(ctx, part));
  indexes.forEach((i, n) => (results[i] = sent[n]));
  return results;
}

export default defineConnector({
  name: 'snap-capi',
  version: '0.1.0',
  category: 'advertising',
  description:
    "Sends web conversions to the Snap Conversions API v3 with user data hashed by Snap's rules, and keeps Customer List segments of audience syncs.",
  settings,
  egress: ['tr.snapchat.com', new URL(ADS_API_HOST).host, new URL(TOKEN_URL).host],
  regions: ['us'],
  defaults: { ratePerSecond: 50, maxConcurrency: 4 },
  actions: {
    trackEvent: {
      title: 'Send web conversions',
      description: 'Track and page events with a Snap event name become v3 web events (up to 2,000 per request).',
      subscribe: { types: ['track', 'page'] },
      fields: Type.Object({
        event_name: Type.String({ minLength: 1 }),
        event_time: Type.Union([Type.String(), Type.Number()]),
        event_id: Type.String({ minLength: 1, description: "Deduplication key shared with the Snap Pixel's client_dedup_id." }),
        event_source_url: optionalText(),
        user_data: Type.Object({
          em: optionalText(),
          ph: optionalText(),
          fn: optionalText(),
          ln: optionalText(),
          ge: optionalText(),
          db: optionalText(),
          ct: optionalText(),
          st: optionalText(),
          zp: optionalText(),
          country: optionalText(),
          external_id: optionalText(),
          client_ip_address: optionalText(),
          client_user_agent: optionalText(),
          sc_click_id: optionalText(),
          sc_cookie1: optionalText(),
        }),
        custom_data: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
      }),
      defaultMapping: {
        event_name: { '@if': { value: { '@path': '$.type' }, equals: 'page', then: 'PAGE_VIEW', else: { '@path': '$.event' } } },
        event_time: { '@path': '$.timestamp' },
        event_id: { '@path': '$.messageId' },
        event_source_url: { '@path': '$.context.page.url' },
        user_data: {
          em: { '@firstOf': [traitOrPropertyMapping('email'), { '@path': '$.identities.email' }] },
          ph: traitOrPropertyMapping('phone'),
          fn: traitOrPropertyMapping('firstName'),
          ln: traitOrPropertyMapping('lastName'),
          ct: traitOrPropertyMapping('address.city'),
          st: traitOrPropertyMapping('address.state'),
          zp: traitOrPropertyMapping('address.postalCode'),
          country: traitOrPropertyMapping('address.country'),
          external_id: { '@path': '$.userId' },
          client_ip_address: { '@path': '$.context.ip' },
          client_user_agent: { '@path': '$.context.userAgent' },
          sc_click_id: { '@firstOf': [{ '@path': '$.properties.sc_click_id' }, { '@path': '$.context.campaign.sc_click_id' }] },
          sc_cookie1: { '@path': '$.properties.sc_cookie1' },
        },
        custom_data: {
          value: { '@firstOf': [{ '@path': '$.properties.value' }, { '@path': '$.properties.revenue' }, { '@path': '$.properties.total' }] },
          currency: { '@path': '$.properties.currency' },
          order_id: { '@path': '$.properties.order_id' },
          search_string: { '@path': '$.properties.query' },
          contents: {
            '@arrayPath': [
              '$.properties.products',
              { id: { '@path': '$.product_id' }, quantity: { '@path': '$.quantity' }, item_price: { '@path': '$.price' } },
            ],
          },
        },
      },
      batch: { maxItems: MAX_EVENTS },
      async perform(ctx) {
        const [result] = await sendEvents(ctx, [{ payload: ctx.payload as SnapPayload, event: ctx.event }]);
        throwIfFailed(result);
      },
      performBatch: (ctx) =>
        sendEvents(
          ctx,
          ctx.items.map((item) => ({ payload: item.payload as SnapPayload, event: item.event })),
        ),
    },
  },
  audience: {
    identifiers: segmentIdentifiers,
    maxMembersPerCall: MAX_SEGMENT_USERS,
    advertising: true,
    syncSettings,
    sync: (ctx) => syncSegmentUsers(ctx),
  },
});
