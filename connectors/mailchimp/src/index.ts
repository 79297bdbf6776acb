import { defineConnector, Type, traitMapping } from '@switchyard/sdk-kit';
import { listAudienceMembers, MAX_SEGMENT_MEMBERS, syncAudience, syncSettings } from './audience-sync.js';
import { apiHost } from './mailchimp-api.js';
import { settings } from './settings.js';
import { deleteMember, MAX_BATCH_MEMBERS, upsertMember, upsertMembers, type MemberPayload } from './members.js';

export { subscriberHash, dataCenterOf } from './mailchimp-api.js';

const lowerEmail = (email: string) => email.trim().toLowerCase();

export default defineConnector({
  name: 'mailchimp',
  version: '0.1.0',
  category: 'email',
  description:
    'Keeps a Mailchimp audience in step with identified users: members, merge fields and tags; audience syncs as static segments or tags; deletes on erasure.',
  settings,
  egress: (s) => [apiHost(s.apiKey)],
  regions: ['us'],
  // Mailchimp allows 10 simultaneous connections per API key.
  defaults: { ratePerSecond: 10, maxConcurrency: 4 },
  actions: {
    upsertMember: {
      title: 'Upsert audience members',
      description: 'identify events add or update the member (batched: up to 500 members per POST /lists/{list_id}).',
      subscribe: { types: ['identify'] },
      fields: Type.Object({
        email: Type.String({ format: 'email' }),
        merge_fields: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'Merge tags (FNAME, LNAME, …) → values.' })),
        tags: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: 'Tags added to the member (never removed).' })),
      }),
      defaultMapping: {
        email: { '@case': { value: { '@trim': { '@firstOf': [traitMapping('email'), { '@path': '$.identities.email' }] } }, to: 'lower' } },
        merge_fields: { FNAME: traitMapping('firstName'), LNAME: traitMapping('lastName'), PHONE: traitMapping('phone') },
        tags: traitMapping('tags'),
      },
      batch: { maxItems: MAX_BATCH_MEMBERS },
      async perform(ctx) {
        await upsertMember(ctx, { ...(ctx.payload as MemberPayload), email: lowerEmail(ctx.payload.email) });
      },
      performBatch: (ctx) =>
        upsertMembers(
          ctx,
          ctx.items.map((item) => ({ ...(item.payload as MemberPayload), email: lowerEmail(item.payload.email) })),
        ),
    },
  },
  audience: {
    identifiers: ['email'],
    maxMembersPerCall: MAX_SEGMENT_MEMBERS,
    syncSettings,
    sync: (ctx) => syncAudience(ctx),
    listMembers: (ctx) => listAudienceMembers(ctx),
  },
  async onDelete(ctx) {
    const email = ctx.user.identities.email;
    if (email) await deleteMember(ctx, lowerEmail(email));
  },
});
