import {
  defineConnector,
  errorForHttpStatus,
  hashIdentifier,
  oauth1Authorization,
  parseRetryAfter,
  RateLimitedError,
  sendInChunks,
  performAsBatchOfOne,
  Type,
  type BatchEntry,
  type BatchResult,
  type PerformContext,
} from '@switchyard/sdk-kit';

export const API_HOST = 'ads-api.x.com';
export const API_VERSION = '12';
/** Conversions per request (the API's limit). */
export const MAX_CONVERSIONS = 500;

const secret = (description: string) => Type.String({ secret: true, minLength: 10, description });
const settings = Type.Object(
  {
    pixelId: Type.String({ pattern: '^[a-z0-9]+$', description: "The ad account's Base Tag (pixel) id, base-36, e.g. o8z6j." }),
    eventIds: Type.Record(Type.String(), Type.String({ pattern: '^(tw-[a-z0-9]+-)?[a-z0-9]+$' }), {
      minProperties: 1,
      description: 'Event name → the id of its event in Events Manager (o87ne or tw-o8z6j-o87ne); other events are not sent.',
    }),
    consumerKey: Type.String({ minLength: 10, description: 'API key (consumer key) of the Ads API app.' }),
    consumerSecret: secret('API key secret (consumer secret).'),
    accessToken: secret('Access token of a user with access to the ad account.'),
    accessTokenSecret: secret('Access token secret.'),
  },
  { additionalProperties: false },
);
type Settings = typeof settings.static;
type Context = Pick<PerformContext<Settings, unknown>, 'http' | 'settings' | 'signal'>;

interface ConversionPayload {
  conversion_time: string;
  conversion_id?: string;
  twclid?: string;
  email?: string;
  phone?: string;
  ip_address?: string;
  user_agent?: string;
  value?: number;
  price_currency?: string;
  number_items?: number;
  contents?: Array<Record<string, unknown>>;
  description?: string;
}
type Item = { payload: ConversionPayload; event: { event?: string } };

const compact = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== null && v !== ''));

/** Each identifier is its own object; an IP address counts only with the user agent, in one object. */
function identifiersOf(p: ConversionPayload): Array<Record<string, string>> {
  const email = hashIdentifier(p.email, 'email');
  const phone = hashIdentifier(p.phone, 'e164');
  return [
    ...(p.twclid ? [{ twclid: p.twclid }] : []),
    ...(email ? [{ hashed_email: email }] : []),
    ...(phone ? [{ hashed_phone_number: phone }] : []),
    ...(p.ip_address && p.user_agent ? [{ ip_address: p.ip_address, user_agent: p.user_agent }] : []),
  ];
}

function xError(thrown: unknown): unknown {
  const response = (thrown as { response?: { statusCode: number; headers: Record<string, string | string[] | undefined>; body?: unknown } } | null)?.response;
  if (!response) return thrown;
  const body = (typeof response.body === 'string' ? safeJson(response.body) : response.body) as
    { errors?: Array<{ code?: string; message?: string }> } | undefined;
  const detail = `X conversions: ${(body?.errors ?? []).map((e) => `${e.code ?? ''} ${e.message ?? ''}`.trim()).join('; ')}`;
  if (response.statusCode === 429) {
    // x-rate-limit-reset is the unix time (seconds) the window resets; a proxy's 429 may carry Retry-After instead.
    const reset = Number(response.headers['x-rate-limit-reset']);
    const retryAfterMs =
      Number.isFinite(reset) && reset > 0 ? Math.max(0, reset * 1000 - Date.now()) : (parseRetryAfter(response.headers['retry-after']) ?? 60_000);
    return new RateLimitedError(`destination answered HTTP 429: ${detail}`, { code: 'HTTP_429', httpStatus: 429, retryAfterMs });
  }
  return errorForHttpStatus(response.statusCode, response.headers, detail) ?? thrown;
}
const safeJson = (text: string) => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
};

/** Conversions of the mapped events, 500 a request; X refuses a whole request for one invalid conversion, so it is then split. */
async function sendConversions(ctx: Context, items: Item[]): Promise<BatchResult> {
  const results: BatchResult = new Array(items.length).fill(undefined);
  const conversions: Array<BatchEntry<Record<string, unknown>>> = [];
  items.forEach(({ payload, event }, item) => {
    const eventId = ctx.settings.eventIds[event.event ?? ''];
    const identifiers = identifiersOf(payload);
    if (!eventId) results[item] = { status: 'ok', code: 'NO_EVENT_ID' };
    else if (identifiers.length === 0) results[item] = { status: 'ok', code: 'NO_IDENTIFIER' };
    else {
      const { twclid: _t, email: _e, phone: _p, ip_address: _i, user_agent: _u, ...rest } = payload;
      conversions.push({ item, payload: compact({ ...rest, event_id: eventId, identifiers }) });
    }
  });
  const url = `https://${API_HOST}/${API_VERSION}/measurement/conversions/${ctx.settings.pixelId}`;
  const { consumerKey, consumerSecret, accessToken: token, accessTokenSecret: tokenSecret } = ctx.settings;
  return sendInChunks(results, conversions, MAX_CONVERSIONS, async (part) => {
    const authorization = oauth1Authorization({ method: 'POST', url }, { consumerKey, consumerSecret, token, tokenSecret });
    try {
      await ctx.http.post(url, { json: { conversions: part }, headers: { authorization }, signal: ctx.signal });
    } catch (error) {
      throw xError(error);
    }
  });
}

const path = (p: string) => ({ '@path': p });
const trait = (name: string) => ({ '@firstOf': [path(`$.traits.${name}`), path(`$.context.traits.${name}`), path(`$.identities.${name}`)] });

export default defineConnector({
  name: 'x-conversions',
  version: '0.1.0',
  category: 'advertising',
  description: 'Sends web conversions to the X (Twitter) Ads Conversion API, with hashed email and phone, signed with OAuth 1.0a.',
  settings,
  egress: [API_HOST],
  regions: ['us'],
  // 100,000 requests per 15 minutes per ad account, 500 conversions each.
  defaults: { ratePerSecond: 50, maxConcurrency: 4 },
  actions: {
    sendConversion: {
      title: 'Send conversions',
      description: 'track and commerce events named in eventIds become conversions (500 per request).',
      subscribe: { types: ['track', 'commerce'] },
      fields: Type.Object({
        conversion_time: Type.String(),
        conversion_id: Type.Optional(Type.String({ description: 'Deduplicates against the pixel: send the same id from both.' })),
        twclid: Type.Optional(Type.String()),
        email: Type.Optional(Type.String()),
        phone: Type.Optional(Type.String()),
        ip_address: Type.Optional(Type.String()),
        user_agent: Type.Optional(Type.String()),
        value: Type.Optional(Type.Number()),
        price_currency: Type.Optional(Type.String({ pattern: '^[A-Z]{3}$' })),
        number_items: Type.Optional(Type.Integer({ minimum: 0 })),
        contents: Type.Optional(Type.Array(Type.Record(Type.String(), Type.Unknown()))),
        description: Type.Optional(Type.String()),
      }),
      defaultMapping: {
        conversion_time: path('$.timestamp'),
        conversion_id: { '@firstOf': [path('$.properties.order_id'), path('$.messageId')] },
        twclid: { '@firstOf': [path('$.properties.twclid'), path('$.context.twclid'), path('$.context.page.twclid')] },
        email: trait('email'),
        phone: trait('phone'),
        ip_address: path('$.context.ip'),
        user_agent: path('$.context.userAgent'),
        value: { '@firstOf': [path('$.properties.value'), path('$.properties.revenue'), path('$.properties.total')] },
        price_currency: { '@case': { value: path('$.properties.currency'), to: 'upper' } },
        number_items: path('$.properties.quantity'),
        contents: {
          '@arrayPath': [
            '$.properties.products',
            { content_id: path('$.product_id'), content_name: path('$.name'), content_price: path('$.price'), num_items: path('$.quantity') },
          ],
        },
      },
      batch: { maxItems: MAX_CONVERSIONS },
      perform: (ctx) => performAsBatchOfOne(ctx, sendConversions),
      performBatch: (ctx) => sendConversions(ctx, ctx.items),
    },
  },
});
