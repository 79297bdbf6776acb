import nock from 'nock';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { executeEnrichment, prepareConnection, type CanonicalEvent } from '@switchyard/sdk-kit';
import places, { NEAREST_PLACE_QUERY } from '../src/index.js';

const settings = { apiKey: 'sg_test_key_123456' };
const connection = () => prepareConnection(places, { connectionId: 'places', settings, dataDir: mkdtempSync(join(tmpdir(), 'places-')) });

function eventAt(latitude: number, longitude: number): CanonicalEvent {
  const now = new Date().toISOString();
  return {
    messageId: 'm1', type: 'track', event: 'Checked In', identities: {}, traits: {}, properties: {},
    context: { location: { latitude, longitude } }, timestamp: now, receivedAt: now, sourceId: 'app',
  };
}

const answer = {
  data: { search: { places: { results: { edges: [{ node: {
    placekey: '222-223@5vg-7gq-tvz',
    safegraph_core: { location_name: 'Blue Bottle Coffee', brands: [{ brand_name: 'Blue Bottle' }], top_category: 'Restaurants and Other Eating Places', sub_category: 'Snack and Nonalcoholic Beverage Bars', naics_code: 722515 },
  } }] } } } },
};

describe('places enrichment connector', () => {
  beforeAll(() => { nock.disableNetConnect(); });
  afterEach(() => nock.cleanAll());
  afterAll(() => nock.enableNetConnect());

  it('asks the GraphQL endpoint for the nearest place with the api key and reads name, brand, category, placekey', async () => {
    const scope = nock('https://api.safegraph.com', { reqheaders: { apikey: settings.apiKey, 'content-type': /application\/json/ } })
      .post('/v2/graphql', (body) => body.query === NEAREST_PLACE_QUERY && body.variables.lat === 37.7763 && body.variables.lon === -122.4233 && body.variables.radius === 50)
      .reply(200, answer);
    const [result] = await executeEnrichment(connection(), [eventAt(37.7763, -122.4233)]);
    expect(result).toEqual({ data: {
      placekey: '222-223@5vg-7gq-tvz', name: 'Blue Bottle Coffee', brand: 'Blue Bottle',
      category: 'Restaurants and Other Eating Places', subCategory: 'Snack and Nonalcoholic Beverage Bars', naicsCode: 722515,
    } });
    expect(scope.isDone()).toBe(true);
  });

  it('returns nothing when no place is near, and maps errors to the retry contract', async () => {
    nock('https://api.safegraph.com').post('/v2/graphql').reply(200, { data: { search: { places: { results: { edges: [] } } } } });
    expect(await executeEnrichment(connection(), [eventAt(0, 0)])).toEqual([{}]);

    nock('https://api.safegraph.com').post('/v2/graphql').reply(200, { errors: [{ message: 'bad key', extensions: { code: 'UNAUTHENTICATED' } }] });
    expect((await executeEnrichment(connection(), [eventAt(1, 1)]))[0]!.error).toMatchObject({ status: 'authentication', code: 'PLACES_UNAUTHENTICATED' });

    nock('https://api.safegraph.com').post('/v2/graphql').reply(429, {}, { 'retry-after': '3' });
    expect((await executeEnrichment(connection(), [eventAt(1, 1)]))[0]!.error).toMatchObject({ status: 'rate_limited', retryAfterMs: 3000 });
  });

  it('shares one cache key between events a few metres apart', () => {
    const key = (lat: number, lon: number) => places.enrichment!.cacheKey(eventAt(lat, lon), { ...settings, endpoint: '', radiusMeters: 50, coordinatePrecision: 4 });
    expect(key(37.77631, -122.42331)).toBe(key(37.77634, -122.42334));
    expect(key(37.7763, -122.4233)).not.toBe(key(37.7773, -122.4233));
    expect(places.enrichment!.cacheKey({ ...eventAt(0, 0), context: {} }, { ...settings, endpoint: '', radiusMeters: 50, coordinatePrecision: 4 })).toBeUndefined();
  });
});
