import { Type, type Static } from '@switchyard/sdk-kit';

export const settings = Type.Object(
  {
    apiKey: Type.String({ secret: true, minLength: 10, description: 'REST API key with users.track and users.delete permissions.' }),
    restEndpoint: Type.String({
      pattern: '^https://rest\\.[a-z]+-[0-9]+\\.braze\\.(com|eu)$',
      default: 'https://rest.iad-01.braze.com',
      description: "Your instance's REST endpoint, e.g. https://rest.iad-01.braze.com (US) or https://rest.fra-01.braze.eu (EU).",
    }),
    phoneCountryCode: Type.String({
      pattern: '^[1-9][0-9]{0,2}$',
      default: '1',
      description:
        'Country calling code given to phone numbers written without one (Braze reads a 10-digit number without + as a US number); phones are sent in E.164.',
    }),
  },
  { additionalProperties: false },
);

export type BrazeSettings = Static<typeof settings>;
