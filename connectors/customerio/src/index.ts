import { defineConnector, normalizeEmail, Type, traitMapping } from '@switchyard/sdk-kit';
import { settings, trackHost, type CustomerIoSettings } from './settings.js';
import { callTrackApi, customerPath } from './track-api.js';

const unixSeconds = (iso: string | undefined) => {
  const millis = iso ? Date.parse(iso) : NaN;
  return Number.isNaN(millis) ? undefined : Math.floor(millis / 1000);
};

export default defineConnector({
  name: 'customerio',
  version: '0.1.0',
  category: 'email',
  description: 'Creates and updates people and tracks their events in Customer.io (Track API), and suppresses or deletes people on erasure.',
  settings,
  egress: (s: CustomerIoSettings) => [trackHost(s)],
  regions: (s: CustomerIoSettings) => [s.region],
  // Customer.io asks for at most 100 Track API requests per second per workspace; each event is one request.
  defaults: { ratePerSecond: 80, maxConcurrency: 8 },
  actions: {
    identifyPerson: {
      title: 'Identify people',
      description: 'identify events create or update the person with their id (PUT /api/v1/customers/{id}).',
      subscribe: { types: ['identify'] },
      fields: Type.Object({
        id: Type.Optional(Type.String({ minLength: 1, description: "The person's id in Customer.io; events without one are skipped." })),
        email: Type.Optional(Type.String()),
        created_at: Type.Optional(Type.String({ description: 'ISO-8601; sent as unix seconds.' })),
        attributes: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'Other attributes of the person.' })),
      }),
      defaultMapping: { id: { '@path': '$.userId' }, email: traitMapping('email'), created_at: traitMapping('createdAt'), attributes: { '@path': '$.traits' } },
      async perform(ctx) {
        const { id, email, created_at: createdAt, attributes = {} } = ctx.payload;
        if (!id) return; // Customer.io keys people by id: nothing to update
        const { email: _email, createdAt: _createdAt, ...rest } = attributes;
        const address = email ? normalizeEmail(email) : undefined;
        await callTrackApi(ctx, 'PUT', customerPath(id), {
          ...rest,
          ...(address ? { email: address } : {}),
          ...(createdAt ? { created_at: unixSeconds(createdAt) } : {}),
        });
      },
    },
    trackEvent: {
      title: 'Track events',
      description: 'track events become events of the person (POST /api/v1/customers/{id}/events), or anonymous events by anonymous_id.',
      subscribe: { types: ['track'] },
      fields: Type.Object({
        id: Type.Optional(Type.String({ minLength: 1 })),
        anonymous_id: Type.Optional(Type.String({ minLength: 1 })),
        name: Type.String({ minLength: 1 }),
        timestamp: Type.Optional(Type.String({ description: 'ISO-8601; sent as unix seconds.' })),
        data: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
      }),
      defaultMapping: {
        id: { '@path': '$.userId' },
        anonymous_id: { '@path': '$.anonymousId' },
        name: { '@path': '$.event' },
        timestamp: { '@path': '$.timestamp' },
        data: { '@path': '$.properties' },
      },
      async perform(ctx) {
        const { id, anonymous_id: anonymousId, name, timestamp, data } = ctx.payload;
        const event = { name, data: data ?? {}, ...(timestamp ? { timestamp: unixSeconds(timestamp) } : {}) };
        if (id) return callTrackApi(ctx, 'POST', customerPath(id, '/events'), event);
        if (anonymousId) return callTrackApi(ctx, 'POST', 'events', { ...event, anonymous_id: anonymousId });
      },
    },
  },
  async onDelete(ctx) {
    // A workspace that identifies people by email takes the email as the identifier.
    const identifier = ctx.user.identities.user_id ?? ctx.user.identities.email;
    if (!identifier) return;
    if (ctx.settings.suppressOnDelete) await callTrackApi(ctx, 'POST', customerPath(identifier, '/suppress'));
    else await callTrackApi(ctx, 'DELETE', customerPath(identifier));
  },
});
