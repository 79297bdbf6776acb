import { classifyError, defineConnector, PermanentError, Type, type BatchResult, type CanonicalEvent, traitMapping } from '@switchyard/sdk-kit';
import { syncList, syncSettings } from './audience-sync.js';
import { settings } from './settings.js';
import { deleteContactsByEmail, MAX_CONTACTS, upsertContacts, type Context } from './contacts.js';
import { sendTemplate, type MailPayload } from './mail-send.js';

export { chunkBySize } from './contacts.js';
export { retryAfterFromReset } from './sendgrid-errors.js';

const email = {
  '@case': { value: { '@trim': { '@firstOf': [traitMapping('email'), { '@path': '$.properties.email' }, { '@path': '$.identities.email' }] } }, to: 'lower' },
};
const optionalText = () => Type.Optional(Type.String());

/** Sends the template configured for the event's name, if any, to the event's email. */
async function sendTemplateFor(
  ctx: Parameters<typeof sendTemplate>[0],
  event: CanonicalEvent,
  payload: Partial<MailPayload>,
  messageId: string,
): Promise<void> {
  const templateId = event.event ? ctx.settings.templates[event.event] : undefined;
  if (!templateId) return;
  if (!ctx.settings.fromEmail) {
    throw new PermanentError('settings.fromEmail is required to send template emails; set a verified sender', { code: 'NO_SENDER' });
  }
  if (!payload.to_email) throw new PermanentError(`event "${event.event}" has a template but no recipient email`, { code: 'NO_EMAIL' });
  await sendTemplate(ctx, templateId, { ...payload, to_email: payload.to_email }, messageId);
}

/** Contacts without an email are skipped (ok, code NO_EMAIL): SendGrid keys marketing contacts by email. */
async function upsertWithEmail(ctx: Context, payloads: Array<{ email?: string } & Record<string, unknown>>): Promise<BatchResult> {
  const results: BatchResult = payloads.map((p) => (p.email ? undefined : { status: 'ok', code: 'NO_EMAIL' }));
  const indexes = payloads.flatMap((p, i) => (p.email ? [i] : []));
  if (indexes.length === 0) return results;
  const sent = await upsertContacts(
    ctx,
    indexes.map((i) => ({ ...payloads[i], email: payloads[i]!.email!.trim().toLowerCase() })),
  );
  indexes.forEach((index, i) => {
    results[index] = sent[i];
  });
  return results;
}

export default defineConnector({
  name: 'sendgrid',
  version: '0.1.0',
  category: 'email',
  description:
    'Upserts Marketing Campaigns contacts, keeps lists of audience syncs, sends dynamic-template emails for chosen events, deletes contacts on erasure.',
  settings,
  egress: (s) => [s.region === 'eu' ? 'api.eu.sendgrid.com' : 'api.sendgrid.com'],
  regions: (s) => [s.region === 'eu' ? 'eu' : 'us'],
  defaults: { ratePerSecond: 3, maxConcurrency: 2 },
  actions: {
    upsertContact: {
      title: 'Upsert contacts',
      description: 'identify events upsert a Marketing Campaigns contact (PUT /v3/marketing/contacts, up to 30,000 per request and 6 MB).',
      subscribe: { types: ['identify'] },
      fields: Type.Object({
        email: Type.Optional(Type.String({ format: 'email', description: "The contact's email, their identity in SendGrid; events without one are skipped." })),
        first_name: optionalText(),
        last_name: optionalText(),
        phone_number: optionalText(),
        external_id: optionalText(),
        address_line_1: optionalText(),
        address_line_2: optionalText(),
        city: optionalText(),
        state_province_region: optionalText(),
        postal_code: optionalText(),
        country: optionalText(),
        custom_fields: Type.Optional(
          Type.Record(Type.String(), Type.Union([Type.String(), Type.Number()]), {
            description: 'Custom field ids (e1_T, w2_N, …) → values; the fields must exist in SendGrid.',
          }),
        ),
      }),
      defaultMapping: {
        email,
        first_name: traitMapping('firstName'),
        last_name: traitMapping('lastName'),
        phone_number: traitMapping('phone'),
        external_id: { '@path': '$.userId' },
        address_line_1: traitMapping('address.street'),
        city: traitMapping('address.city'),
        state_province_region: traitMapping('address.state'),
        postal_code: traitMapping('address.postalCode'),
        country: traitMapping('address.country'),
      },
      batch: { maxItems: MAX_CONTACTS },
      async perform(ctx) {
        const [result] = await upsertWithEmail(ctx, [ctx.payload]);
        if (result && result.status !== 'ok')
          throw new PermanentError(result.message ?? 'contact refused', { code: result.code ?? 'CONTACT_INVALID', httpStatus: 400 });
      },
      performBatch: (ctx) =>
        upsertWithEmail(
          ctx,
          ctx.items.map((item) => item.payload),
        ),
    },
    sendTemplateEmail: {
      title: 'Send template email',
      description: 'Track events named in the templates setting send that dynamic template to the user (POST /v3/mail/send).',
      subscribe: { types: ['track'] },
      fields: Type.Object({
        to_email: Type.Optional(Type.String({ format: 'email' })),
        to_name: optionalText(),
        dynamic_template_data: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
      }),
      defaultMapping: {
        to_email: email,
        to_name: { '@firstOf': [traitMapping('name'), traitMapping('firstName')] },
        dynamic_template_data: { '@merge': [{ '@path': '$.traits' }, { '@path': '$.properties' }] },
      },
      async perform(ctx) {
        await sendTemplateFor(ctx, ctx.event, ctx.payload, ctx.messageId);
      },
      // One mail/send per event (each has its own recipient and data); batching lets the runtime keep contact
      // upserts batched, since it batches a connection only when every action can take a batch.
      async performBatch(ctx) {
        const results: BatchResult = [];
        for (const item of ctx.items) {
          try {
            await sendTemplateFor(ctx, item.event, item.payload, item.messageId);
            results.push(undefined);
          } catch (error) {
            results.push(classifyError(error));
          }
        }
        return results;
      },
    },
  },
  audience: {
    identifiers: ['email'],
    maxMembersPerCall: MAX_CONTACTS,
    syncSettings,
    sync: (ctx) => syncList(ctx),
  },
  async onDelete(ctx) {
    const address = ctx.user.identities.email;
    if (address) await deleteContactsByEmail(ctx, [address.trim().toLowerCase()]);
  },
});
