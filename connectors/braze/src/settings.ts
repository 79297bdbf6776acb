import { Type, type Static } from '@switchyard/sdk-kit';

export const settings = Type.Object(
  {
    apiKey: Type.String({ secret: true, minLength: 10, description: 'REST API key with users.track and users.delete permissions.' }),
    restEndpoint: Type.String({
      pattern: '^https://rest\\.[a-z]+-[0-9]+\\.braze\\.(com|eu)$',
      default: 'https://rest.iad-01.braze.com',
      description: "Your instance's REST endpoint, e.g. https://rest.iad-01.braze.com (US) or https://rest.fra-01.braze.eu (EU).",
    }),
  },
  { additionalProperties: false },
);

export type BrazeSettings = Static<typeof settings>;
