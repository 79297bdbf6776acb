import { defineConnector, normalizeEmail, Type, traitMapping } from '@switchyard/sdk-kit';
import { settings, zendeskHost, type ZendeskSettings } from './settings.js';
import { callZendesk, findUserIds } from './zendesk-api.js';

const optionalText = () => Type.Optional(Type.String());

export default defineConnector({
  name: 'zendesk',
  version: '0.1.0',
  category: 'crm',
  description: 'Creates or updates Zendesk Support end users from identify events, and deletes (and permanently deletes) them on erasure.',
  settings,
  egress: (s: ZendeskSettings) => [zendeskHost(s)],
  // Zendesk's Support API allows 200 to 2,500 requests a minute depending on the plan; each event is one request.
  defaults: { ratePerSecond: 3, maxConcurrency: 2 },
  actions: {
    upsertUser: {
      title: 'Create or update users',
      description: 'identify events create or update the end user matched by external_id or email (POST /api/v2/users/create_or_update).',
      subscribe: { types: ['identify'] },
      fields: Type.Object({
        external_id: optionalText(),
        email: optionalText(),
        name: optionalText(),
        phone: optionalText(),
        user_fields: Type.Optional(
          Type.Record(Type.String(), Type.Unknown(), { description: 'Values of custom user fields, by field key; the fields must exist.' }),
        ),
      }),
      defaultMapping: {
        external_id: { '@path': '$.userId' },
        email: traitMapping('email'),
        name: { '@firstOf': [traitMapping('name'), { '@template': '{{traits.firstName}} {{traits.lastName}}' }] },
        phone: traitMapping('phone'),
      },
      async perform(ctx) {
        const { external_id: externalId, name, phone, user_fields: userFields } = ctx.payload;
        const email = ctx.payload.email ? normalizeEmail(ctx.payload.email) : undefined;
        if (!externalId && !email) return; // Zendesk matches users by external_id or email: nobody to update
        const user = {
          // Zendesk requires a name to create a user.
          name: name?.trim() || email || externalId,
          ...(externalId ? { external_id: externalId } : {}),
          ...(email ? { email } : {}),
          ...(phone ? { phone } : {}),
          ...(userFields ? { user_fields: userFields } : {}),
        };
        await callZendesk(ctx, 'POST', 'users/create_or_update', { json: { user } });
      },
    },
  },
  async onDelete(ctx) {
    const externalId = ctx.user.identities.user_id;
    const email = ctx.user.identities.email ? normalizeEmail(ctx.user.identities.email) : undefined;
    if (!externalId && !email) return;
    for (const id of await findUserIds(ctx, { externalId, email })) {
      await callZendesk(ctx, 'DELETE', `users/${id}`);
      if (ctx.settings.permanentlyDelete) await callZendesk(ctx, 'DELETE', `deleted_users/${id}`);
    }
  },
});
