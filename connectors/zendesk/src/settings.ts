import { Type, type Static } from '@switchyard/sdk-kit';

export const settings = Type.Object(
  {
    subdomain: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$', description: 'Your Zendesk subdomain: <subdomain>.zendesk.com.' }),
    email: Type.String({ format: 'email', description: 'Email of the agent or admin the API token acts as.' }),
    apiToken: Type.String({ secret: true, minLength: 10, description: 'API token (Admin Center → Apps and integrations → Zendesk API).' }),
    permanentlyDelete: Type.Boolean({
      default: true,
      description: 'Erasures permanently delete the user after deleting them (as GDPR requires); false leaves them among deleted users for 30 days.',
    }),
  },
  { additionalProperties: false },
);

export type ZendeskSettings = Static<typeof settings>;

export const zendeskHost = (s: Pick<ZendeskSettings, 'subdomain'>) => `${s.subdomain}.zendesk.com`;
