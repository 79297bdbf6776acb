import { Type, type Static } from '@switchyard/sdk-kit';

export const settings = Type.Object(
  {
    projectId: Type.String({ pattern: '^[0-9]+$', description: 'The project id (Project Settings → Overview).' }),
    projectToken: Type.String({
      secret: true,
      minLength: 10,
      description: 'The project token: authenticates profile updates (/engage) and names the project in erasures.',
    }),
    serviceAccountUsername: Type.String({ minLength: 1, description: 'Service account (Owner or Admin of the project) that authenticates /import.' }),
    serviceAccountSecret: Type.String({ secret: true, minLength: 10, description: "The service account's secret." }),
    region: Type.Union([Type.Literal('us'), Type.Literal('eu'), Type.Literal('in')], {
      default: 'us',
      description: "The project's data residency: us (api.mixpanel.com), eu (api-eu.mixpanel.com) or in (api-in.mixpanel.com).",
    }),
    gdprToken: Type.Optional(
      Type.String({ secret: true, minLength: 10, description: 'OAuth token for the GDPR API (Profile & Preferences → Data & Privacy); needed for erasures.' }),
    ),
  },
  { additionalProperties: false },
);

export type MixpanelSettings = Static<typeof settings>;

export const ingestionHost = (s: Pick<MixpanelSettings, 'region'>) => (s.region === 'us' ? 'api.mixpanel.com' : `api-${s.region}.mixpanel.com`);
export const gdprHost = (s: Pick<MixpanelSettings, 'region'>) => (s.region === 'us' ? 'mixpanel.com' : `${s.region}.mixpanel.com`);
