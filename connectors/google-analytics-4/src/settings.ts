import { Type, type Static } from '@switchyard/sdk-kit';

export const settings = Type.Object(
  {
    measurementId: Type.String({ pattern: '^G-[A-Z0-9]+$', description: "The web data stream's measurement ID (G-…), not its stream ID." }),
    apiSecret: Type.String({
      secret: true,
      minLength: 10,
      description: 'A Measurement Protocol API secret of the stream (Data streams → Measurement Protocol API secrets).',
    }),
    region: Type.Union([Type.Literal('global'), Type.Literal('eu')], {
      default: 'global',
      description: 'global: www.google-analytics.com; eu: region1.google-analytics.com (collection inside the EU).',
    }),
    propertyId: Type.Optional(Type.String({ pattern: '^[0-9]+$', description: 'The GA4 property id (digits); needed for erasures.' })),
    serviceAccountKey: Type.Optional(
      Type.String({
        secret: true,
        description: 'JSON key of a service account with the Editor role on the property; needed for erasures (User Deletion API).',
      }),
    ),
    eventNames: Type.Record(Type.String(), Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_]{0,39}$' }), {
      default: {},
      description: 'Track event name → GA4 event name, over the built-in e-commerce names and the snake_case default.',
    }),
  },
  { additionalProperties: false },
);

export type Ga4Settings = Static<typeof settings>;

export const collectionHost = (s: Pick<Ga4Settings, 'region'>) => (s.region === 'eu' ? 'region1.google-analytics.com' : 'www.google-analytics.com');
export const ADMIN_HOST = 'analyticsadmin.googleapis.com';
export const TOKEN_HOST = 'oauth2.googleapis.com';
