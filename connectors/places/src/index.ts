import { AuthenticationError, RateLimitedError, RetryableError, PermanentError, defineConnector, Type } from '@switchyard/sdk-kit';
import { NEAREST_PLACE_QUERY, placeFrom, type NearestPlaceResponse } from './places-query.js';

export { NEAREST_PLACE_QUERY } from './places-query.js';

const settings = Type.Object(
  {
    apiKey: Type.String({ secret: true, minLength: 8, description: 'Places API key (sent as the `apikey` header).' }),
    endpoint: Type.String({ format: 'uri', default: 'https://api.safegraph.com/v2/graphql', description: 'GraphQL endpoint.' }),
    radiusMeters: Type.Integer({ minimum: 1, maximum: 1000, default: 50, description: 'How far from the point a place may be.' }),
    coordinatePrecision: Type.Integer({
      minimum: 2,
      maximum: 6,
      default: 4,
      description: 'Decimals of latitude/longitude in the cache key (4 ≈ 11 m): nearby events share one lookup.',
    }),
  },
  { additionalProperties: false },
);

function coordinates(event: { context: { location?: { latitude?: unknown; longitude?: unknown } } }) {
  const { latitude, longitude } = event.context.location ?? {};
  return typeof latitude === 'number' && typeof longitude === 'number' ? { latitude, longitude } : undefined;
}

export default defineConnector({
  name: 'places',
  version: '0.1.0',
  category: 'enrichment',
  description: "Adds the place at an event's coordinates (name, brand, category, placekey) to context.place, SafeGraph Places style.",
  settings,
  egress: (s) => [new URL(s.endpoint).host],
  regions: ['us'],
  defaults: { requestTimeoutMs: 2000 },
  actions: {},
  enrichment: {
    subscribe: { types: 'all', where: (event) => coordinates(event) !== undefined },
    target: 'context.place',
    cacheKey: (event, s) => {
      const point = coordinates(event);
      return point && `${point.latitude.toFixed(s.coordinatePrecision)},${point.longitude.toFixed(s.coordinatePrecision)}`;
    },
    async lookup(ctx) {
      const point = coordinates(ctx.event);
      if (!point) return undefined;
      const response = await ctx.http
        .post(ctx.settings.endpoint, {
          headers: { apikey: ctx.settings.apiKey },
          json: { query: NEAREST_PLACE_QUERY, variables: { lat: point.latitude, lon: point.longitude, radius: ctx.settings.radiusMeters } },
          signal: ctx.signal,
        })
        .json<NearestPlaceResponse>();
      const error = response.errors?.[0];
      if (error) throw graphQlError(error.message, error.extensions?.code);
      const place = placeFrom(response);
      return place ? { ...place } : undefined;
    },
  },
});

/** GraphQL reports some failures inside a 200 answer; map them to the retry contract. */
function graphQlError(message: string, code: string | undefined) {
  const options = { code: `PLACES_${code ?? 'ERROR'}` };
  if (code === 'UNAUTHENTICATED' || code === 'FORBIDDEN') return new AuthenticationError(`places API: ${message}`, options);
  if (code === 'RATE_LIMITED' || code === 'TOO_MANY_REQUESTS') return new RateLimitedError(`places API: ${message}`, options);
  if (code === 'BAD_USER_INPUT' || code === 'GRAPHQL_VALIDATION_FAILED') return new PermanentError(`places API: ${message}`, options);
  return new RetryableError(`places API: ${message}`, options);
}
