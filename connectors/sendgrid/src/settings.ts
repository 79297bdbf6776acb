import { Type, type Static } from '@switchyard/sdk-kit';

export const settings = Type.Object(
  {
    apiKey: Type.String({ secret: true, minLength: 10, description: 'SendGrid API key (Marketing: full access to contacts; Mail Send for templates).' }),
    region: Type.Union([Type.Literal('global'), Type.Literal('eu')], {
      default: 'global',
      description: 'global: api.sendgrid.com; eu: api.eu.sendgrid.com (EU regional subusers, data kept in the EU).',
    }),
    listIds: Type.Array(Type.String({ minLength: 1 }), { default: [], description: 'Marketing lists every upserted contact is added to.' }),
    fromEmail: Type.Optional(Type.String({ format: 'email', description: 'Verified sender for template emails.' })),
    fromName: Type.Optional(Type.String()),
    templates: Type.Record(Type.String(), Type.String({ pattern: '^d-[0-9a-f]+$' }), {
      default: {},
      description: 'Track event name → dynamic template id (d-…): these events send that template to the user.',
    }),
  },
  { additionalProperties: false },
);

export type SendGridSettings = Static<typeof settings>;
