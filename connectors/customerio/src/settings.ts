import { Type, type Static } from '@switchyard/sdk-kit';

export const settings = Type.Object(
  {
    siteId: Type.String({ minLength: 1, description: 'Track API site ID (Workspace Settings → API Credentials).' }),
    apiKey: Type.String({ secret: true, minLength: 10, description: 'Track API key paired with the site ID.' }),
    region: Type.Union([Type.Literal('us'), Type.Literal('eu')], {
      default: 'us',
      description: "us: track.customer.io; eu: track-eu.customer.io (the workspace's data center).",
    }),
    suppressOnDelete: Type.Boolean({
      default: true,
      description: 'Erasures suppress the person (deleted, and their id refused from then on) rather than only deleting them.',
    }),
  },
  { additionalProperties: false },
);

export type CustomerIoSettings = Static<typeof settings>;

export const trackHost = (s: Pick<CustomerIoSettings, 'region'>) => (s.region === 'eu' ? 'track-eu.customer.io' : 'track.customer.io');
