import {
  defineConnector,
  normalizeEmail,
  sendInChunks,
  sendSplittingOnRefusal,
  performAsBatchOfOne,
  Type,
  type BatchEntry,
  type BatchResult,
  type CanonicalEvent,
  traitMapping,
} from '@switchyard/sdk-kit';
import { authHost, restHost, sfmcRequest, type Context } from './sfmc-api.js';

/** Rows per rowset upsert: keeps a request well inside the API's body limit. */
export const MAX_ROWS = 50;

const key = (description: string) => Type.String({ minLength: 1, maxLength: 200, description });
const settings = Type.Object(
  {
    subdomain: Type.String({
      pattern: '^[a-z0-9][a-z0-9-]{8,62}$',
      description: "The tenant's subdomain, as in https://<subdomain>.auth.marketingcloudapis.com.",
    }),
    clientId: Type.String({ minLength: 10, description: 'Client id of the installed package (server-to-server API integration).' }),
    clientSecret: Type.String({ secret: true, minLength: 10, description: 'Client secret of the installed package.' }),
    accountId: Type.Optional(Type.String({ pattern: '^[0-9]+$', description: 'MID of the business unit to act in (default: the package’s).' })),
    dataExtensionKey: Type.Optional(key('External key of the data extension identify events are upserted into.')),
    contactKeyField: Type.String({ minLength: 1, default: 'ContactKey', description: "The data extension's primary key column, filled with the contact key." }),
    journeyEvents: Type.Record(Type.String(), key('Event definition key'), {
      default: {},
      description: 'Event name → the EventDefinitionKey of a journey API entry event; those track events enter contacts into the journey.',
    }),
  },
  { additionalProperties: false },
);
type Settings = typeof settings.static;
type Item<P> = { payload: P; event: CanonicalEvent };

interface RowPayload {
  contactKey?: string;
  values?: Record<string, unknown>;
}
interface EntryPayload {
  contactKey?: string;
  data?: Record<string, unknown>;
}

const scalars = (o: Record<string, unknown> = {}) =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean'));

/** Rows keyed by contact key through /hub/v1/dataevents/key:<key>/rowset; a refused row fails alone. */
async function upsertRows(ctx: Context & { settings: Settings }, items: Item<RowPayload>[]): Promise<BatchResult> {
  const results: BatchResult = new Array(items.length).fill(undefined);
  const { dataExtensionKey, contactKeyField } = ctx.settings;
  if (!dataExtensionKey) return results.fill({ status: 'ok', code: 'NO_DATA_EXTENSION' });
  const rows: Array<BatchEntry<Record<string, unknown>>> = [];
  items.forEach(({ payload }, item) => {
    if (!payload.contactKey) return void (results[item] = { status: 'ok', code: 'NO_CONTACT_KEY' });
    const values = scalars(payload.values);
    if (typeof values.EmailAddress === 'string') values.EmailAddress = normalizeEmail(values.EmailAddress);
    rows.push({ item, payload: { keys: { [contactKeyField]: payload.contactKey }, values } });
  });
  const path = `/hub/v1/dataevents/key:${encodeURIComponent(dataExtensionKey)}/rowset`;
  return sendInChunks(results, rows, MAX_ROWS, (part) => sfmcRequest(ctx, 'POST', path, part, 'data extension rowset'));
}

/** One journey entry event per track event named in journeyEvents (the endpoint takes one contact a request). */
async function enterJourneys(ctx: Context & { settings: Settings }, items: Item<EntryPayload>[]): Promise<BatchResult> {
  const results: BatchResult = [];
  for (const { payload, event } of items) {
    const definition = ctx.settings.journeyEvents[event.event ?? ''];
    if (!definition) results.push({ status: 'ok', code: 'NO_JOURNEY_EVENT' });
    else if (!payload.contactKey) results.push({ status: 'ok', code: 'NO_CONTACT_KEY' });
    else {
      const body = { ContactKey: payload.contactKey, EventDefinitionKey: definition, Data: scalars(payload.data) };
      const [result] = await sendSplittingOnRefusal([body], ([one]) => sfmcRequest(ctx, 'POST', '/interaction/v1/events', one, 'journey entry event'));
      results.push(result);
    }
  }
  return results;
}

const contactKey = { '@firstOf': [{ '@path': '$.userId' }, { '@path': '$.identities.user_id' }] };
export default defineConnector({
  name: 'salesforce-marketing-cloud',
  version: '0.1.0',
  category: 'email',
  description:
    'Upserts data extension rows for identify events, enters contacts into journeys on track events, and deletes contacts on erasure (Marketing Cloud Engagement REST API).',
  settings,
  egress: (s: Settings) => [authHost(s), restHost(s)],
  defaults: { ratePerSecond: 20, maxConcurrency: 4 },
  actions: {
    upsertRows: {
      title: 'Upsert data extension rows',
      description: `identify events become rows keyed by contact key (${MAX_ROWS} per request).`,
      subscribe: { types: ['identify'] },
      fields: Type.Object({ contactKey: Type.Optional(Type.String()), values: Type.Optional(Type.Record(Type.String(), Type.Unknown())) }),
      defaultMapping: {
        contactKey,
        values: { EmailAddress: traitMapping('email'), FirstName: traitMapping('firstName'), LastName: traitMapping('lastName'), Phone: traitMapping('phone') },
      },
      batch: { maxItems: MAX_ROWS },
      perform: (ctx) => performAsBatchOfOne(ctx, upsertRows),
      performBatch: (ctx) => upsertRows(ctx, ctx.items),
    },
    enterJourney: {
      title: 'Enter journeys',
      description: 'track events named in journeyEvents fire that journey entry event for the contact.',
      subscribe: { types: ['track'] },
      fields: Type.Object({ contactKey: Type.Optional(Type.String()), data: Type.Optional(Type.Record(Type.String(), Type.Unknown())) }),
      defaultMapping: { contactKey, data: { '@path': '$.properties' } },
      batch: { maxItems: 20 },
      perform: (ctx) => performAsBatchOfOne(ctx, enterJourneys),
      performBatch: (ctx) => enterJourneys(ctx, ctx.items),
    },
  },
  async onDelete(ctx) {
    const key = ctx.user.identities.user_id;
    if (!key) return;
    // Deletes the contact and its attributes in every business unit (after the account's suppression period).
    await sfmcRequest(
      ctx,
      'POST',
      '/contacts/v1/contacts/actions/delete?type=keys',
      { values: [key], DeleteOperationType: 'ContactAndAttributes' },
      'contact delete',
    );
  },
});
