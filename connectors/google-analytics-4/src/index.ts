import {
  classifyError,
  defineConnector,
  parseServiceAccountKey,
  PermanentError,
  serviceAccountAccessToken,
  performAsBatchOfOne,
  Type,
  type BatchItem,
  type BatchResult,
  type PerformContext,
  vendorHttpError,
} from '@switchyard/sdk-kit';
import { eventNameProblem, ga4EventName, ga4Params, ga4UserProperties, MAX_AGE_MS, MAX_EVENTS_PER_REQUEST } from './ga4-rules.js';
import { ADMIN_HOST, collectionHost, settings, TOKEN_HOST, type Ga4Settings } from './settings.js';

type Context = Pick<PerformContext<Ga4Settings, unknown>, 'http' | 'settings' | 'signal'>;
interface EventPayload {
  client_id?: string;
  user_id?: string;
  type: string;
  event?: string;
  timestamp: string;
  params?: Record<string, unknown>;
  user_properties?: Record<string, unknown>;
}

const ADMIN_SCOPE = 'https://www.googleapis.com/auth/analytics.edit';

/** Maps a failed Google answer to the retry contract, with Google's `error.message` as the detail. */
const googleError = (thrown: unknown, where: string) =>
  vendorHttpError(thrown, `Google Analytics ${where}`, (body) => (body as { error?: { message?: string } }).error?.message);

const refuse = (message: string, code: string) => new PermanentError(message, { code }).toResult();

/** The Measurement Protocol event for an item, or why GA would drop it. */
function toGa4(item: BatchItem<EventPayload>, s: Ga4Settings, now: number) {
  const { payload } = item;
  const name = payload.type === 'page' ? 'page_view' : ga4EventName(payload.event ?? '', s.eventNames);
  const problem = eventNameProblem(name);
  if (problem) return { failure: refuse(`${problem}; map it in settings.eventNames`, 'EVENT_NAME_INVALID') };
  const time = Date.parse(payload.timestamp);
  if (now - time > MAX_AGE_MS) return { failure: refuse('Google Analytics drops Measurement Protocol events over 72 hours old', 'EVENT_TOO_OLD') };
  // Without a usable timestamp Google stamps the event on arrival.
  return { event: { name, params: ga4Params(payload.params ?? {}) }, timestampMicros: Number.isNaN(time) ? undefined : Math.min(time, now) * 1000 };
}

/**
 * POST /mp/collect takes one client per request, so events are grouped by client, user and user properties, 25 a
 * request. Google answers 2xx whatever the payload (it drops invalid events silently): the rules are checked first.
 */
async function collect(ctx: Context, items: BatchItem<EventPayload>[]): Promise<BatchResult> {
  const results: BatchResult = new Array(items.length).fill(undefined);
  type Group = { base: Record<string, unknown>; indexes: number[]; events: Record<string, unknown>[] };
  const groups = new Map<string, Group>();
  const now = Date.now();
  items.forEach((item, index) => {
    const { client_id: clientId, user_id: userId, user_properties: userProperties } = item.payload;
    if (!clientId) return (results[index] = { status: 'ok', code: 'NO_CLIENT_ID' });
    const built = toGa4(item, ctx.settings, now);
    if (built.failure) return (results[index] = built.failure);
    const properties = ga4UserProperties(userProperties ?? {});
    const base = { client_id: clientId, ...(userId ? { user_id: userId } : {}), ...(Object.keys(properties).length ? { user_properties: properties } : {}) };
    const key = JSON.stringify(base);
    const group: Group = groups.get(key) ?? { base, indexes: [], events: [] };
    group.indexes.push(index);
    group.events.push({ ...built.event, timestamp_micros: built.timestampMicros });
    groups.set(key, group);
  });
  for (const { base, indexes, events } of groups.values()) {
    for (let start = 0; start < events.length; start += MAX_EVENTS_PER_REQUEST) {
      try {
        await ctx.http.post(`https://${collectionHost(ctx.settings)}/mp/collect`, {
          searchParams: { measurement_id: ctx.settings.measurementId, api_secret: ctx.settings.apiSecret },
          json: { ...base, events: events.slice(start, start + MAX_EVENTS_PER_REQUEST) },
          signal: ctx.signal,
        });
      } catch (thrown) {
        const failed = classifyError(googleError(thrown, 'mp/collect'));
        for (const i of indexes.slice(start, start + MAX_EVENTS_PER_REQUEST)) results[i] = failed;
      }
    }
  }
  return results;
}

/** Submits one user deletion (the API takes one identifier a request) with a service-account token. */
async function submitUserDeletion(ctx: Context, key: ReturnType<typeof parseServiceAccountKey>, user: { userId: string } | { clientId: string }) {
  const token = await serviceAccountAccessToken(ctx.http, key, ADMIN_SCOPE, { codePrefix: 'GA4' });
  try {
    await ctx.http.post(`https://${ADMIN_HOST}/v1alpha/properties/${ctx.settings.propertyId}:submitUserDeletion`, {
      json: user,
      headers: { authorization: `Bearer ${token}` },
      signal: ctx.signal,
    });
  } catch (thrown) {
    throw googleError(thrown, 'submitUserDeletion');
  }
}

export default defineConnector({
  name: 'google-analytics-4',
  version: '0.1.0',
  category: 'analytics',
  description: 'Sends events to a GA4 web stream (Measurement Protocol) and deletes users on erasure (Admin API submitUserDeletion).',
  settings,
  egress: (s: Ga4Settings) => [collectionHost(s), TOKEN_HOST, ADMIN_HOST],
  regions: (s: Ga4Settings) => (s.region === 'eu' ? ['eu'] : []),
  defaults: { ratePerSecond: 50, maxConcurrency: 4 },
  actions: {
    sendEvent: {
      title: 'Send events',
      description: 'track and page events become Measurement Protocol events (page_view for pages), 25 per request for one client.',
      subscribe: { types: ['track', 'page'] },
      fields: Type.Object({
        client_id: Type.Optional(Type.String({ minLength: 1, description: 'GA client id (the _ga cookie value); events without one are skipped.' })),
        user_id: Type.Optional(Type.String({ minLength: 1 })),
        type: Type.String(),
        event: Type.Optional(Type.String()),
        timestamp: Type.String(),
        params: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
        user_properties: Type.Optional(
          Type.Record(Type.String(), Type.Unknown(), { description: 'No default: user properties must not carry personal data.' }),
        ),
      }),
      defaultMapping: {
        client_id: { '@firstOf': [{ '@path': '$.context.ga.clientId' }, { '@path': '$.anonymousId' }] },
        user_id: { '@path': '$.userId' },
        type: { '@path': '$.type' },
        event: { '@path': '$.event' },
        timestamp: { '@path': '$.timestamp' },
        params: {
          '@merge': [
            { '@path': '$.properties' },
            {
              page_location: { '@path': '$.context.page.url' },
              page_title: { '@path': '$.context.page.title' },
              page_referrer: { '@path': '$.context.page.referrer' },
            },
          ],
        },
      },
      batch: { maxItems: 100 },
      perform: (ctx) => performAsBatchOfOne(ctx, collect),
      performBatch: (ctx) => collect(ctx, ctx.items),
    },
  },
  async onDelete(ctx) {
    const { user_id: userId, anonymous_id: clientId } = ctx.user.identities;
    if (!userId && !clientId) return;
    if (!ctx.settings.propertyId || !ctx.settings.serviceAccountKey) {
      throw new PermanentError('settings.propertyId and settings.serviceAccountKey are required to delete users from Google Analytics', {
        code: 'NO_DELETION_CREDENTIALS',
      });
    }
    const key = parseServiceAccountKey(ctx.settings.serviceAccountKey, { codePrefix: 'GA4' });
    if (userId) await submitUserDeletion(ctx, key, { userId });
    if (clientId) await submitUserDeletion(ctx, key, { clientId });
  },
});
