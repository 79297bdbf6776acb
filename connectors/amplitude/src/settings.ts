import { Type, type Static } from '@switchyard/sdk-kit';

export const settings = Type.Object(
  {
    apiKey: Type.String({ secret: true, minLength: 10, description: "The project's API key (sent in the body of each HTTP V2 request)." }),
    secretKey: Type.Optional(
      Type.String({ secret: true, minLength: 10, description: "The project's secret key: with the API key, authenticates erasures (User Privacy API)." }),
    ),
    region: Type.Union([Type.Literal('us'), Type.Literal('eu')], {
      default: 'us',
      description: "us: api2.amplitude.com and amplitude.com; eu: api.eu.amplitude.com and analytics.eu.amplitude.com (the project's data center).",
    }),
    minIdLength: Type.Optional(
      Type.Integer({
        minimum: 1,
        description: 'Shortest user_id/device_id Amplitude accepts (options.min_id_length); Amplitude refuses ids under 5 characters by default.',
      }),
    ),
    deletionRequester: Type.Optional(
      Type.String({ format: 'email', description: 'Email Amplitude records as the requester of erasures (for its audit log).' }),
    ),
  },
  { additionalProperties: false },
);

export type AmplitudeSettings = Static<typeof settings>;

export const ingestionHost = (s: Pick<AmplitudeSettings, 'region'>) => (s.region === 'eu' ? 'api.eu.amplitude.com' : 'api2.amplitude.com');
export const privacyHost = (s: Pick<AmplitudeSettings, 'region'>) => (s.region === 'eu' ? 'analytics.eu.amplitude.com' : 'amplitude.com');
