import { type CanonicalEvent } from '@switchyard/sdk-kit';
import { buildTrack, createTestHarness, type MockResponse } from '@switchyard/sdk-kit/testing';
import places, { NEAREST_PLACE_QUERY } from '../src/index.js';

const settings = { apiKey: 'sg_test_key_123456' };
const GRAPHQL = 'https://api.safegraph.com/v2/graphql';
/** A connection whose SafeGraph answers every lookup with `reply`. */
const safegraph = (reply: MockResponse) => createTestHarness(places, { settings, connectionId: 'places' }).intercept('api.safegraph.com', () => reply);

/** A check-in at the given coordinates, with no other context the lookup could use. */
function eventAt(latitude: number, longitude: number): CanonicalEvent {
  const now = new Date().toISOString();
  return { ...buildTrack({ messageId: 'm1', event: 'Checked In', timestamp: now, receivedAt: now }), context: { location: { latitude, longitude } } };
}

const answer = {
  data: {
    search: {
      places: {
        results: {
          edges: [
            {
              node: {
                placekey: '222-223@5vg-7gq-tvz',
                safegraph_core: {
                  location_name: 'Blue Bottle Coffee',
                  brands: [{ brand_name: 'Blue Bottle' }],
                  top_category: 'Restaurants and Other Eating Places',
                  sub_category: 'Snack and Nonalcoholic Beverage Bars',
                  naics_code: 722515,
                },
              },
            },
          ],
        },
      },
    },
  },
};

describe('places enrichment connector', () => {
  it('asks the GraphQL endpoint for the nearest place with the api key and reads name, brand, category, placekey', async () => {
    const {
      requests,
      results: [result],
    } = await safegraph({ status: 200, body: answer }).runEnrichment(eventAt(37.7763, -122.4233));
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({
      method: 'POST',
      url: GRAPHQL,
      headers: { apikey: settings.apiKey },
      body: { query: NEAREST_PLACE_QUERY, variables: { lat: 37.7763, lon: -122.4233, radius: 50 } },
    });
    expect(requests[0]!.headers['content-type']).toMatch(/application\/json/);
    expect(result).toEqual({
      data: {
        placekey: '222-223@5vg-7gq-tvz',
        name: 'Blue Bottle Coffee',
        brand: 'Blue Bottle',
        category: 'Restaurants and Other Eating Places',
        subCategory: 'Snack and Nonalcoholic Beverage Bars',
        naicsCode: 722515,
      },
    });
  });

  it('returns nothing when no place is near, and maps errors to the retry contract', async () => {
    const nothingNear = await safegraph({ status: 200, body: { data: { search: { places: { results: { edges: [] } } } } } }).runEnrichment(eventAt(0, 0));
    expect(nothingNear.requests).toHaveLength(1);
    expect(nothingNear.results).toEqual([{}]);

    const badKey = await safegraph({ status: 200, body: { errors: [{ message: 'bad key', extensions: { code: 'UNAUTHENTICATED' } }] } }).runEnrichment(
      eventAt(1, 1),
    );
    expect(badKey.results[0]!.error).toMatchObject({ status: 'authentication', code: 'PLACES_UNAUTHENTICATED' });

    const limited = await safegraph({ status: 429, headers: { 'retry-after': '3' }, body: {} }).runEnrichment(eventAt(1, 1));
    expect(limited.results[0]!.error).toMatchObject({ status: 'rate_limited', retryAfterMs: 3000 });
  });

  it('shares one cache key between events a few metres apart', () => {
    const key = (lat: number, lon: number) =>
      places.enrichment!.cacheKey(eventAt(lat, lon), { ...settings, endpoint: '', radiusMeters: 50, coordinatePrecision: 4 });
    expect(key(37.77631, -122.42331)).toBe(key(37.77634, -122.42334));
    expect(key(37.7763, -122.4233)).not.toBe(key(37.7773, -122.4233));
    expect(
      places.enrichment!.cacheKey({ ...eventAt(0, 0), context: {} }, { ...settings, endpoint: '', radiusMeters: 50, coordinatePrecision: 4 }),
    ).toBeUndefined();
  });
});
