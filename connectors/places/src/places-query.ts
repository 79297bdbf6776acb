/** The GraphQL request for the nearest place to a point, and how its answer is read. */
export const NEAREST_PLACE_QUERY = `query NearestPlace($lat: Float!, $lon: Float!, $radius: Int!) {
  search(filter: { location: { latitude: $lat, longitude: $lon, radius_meters: $radius } }) {
    places { results(first: 1) { edges { node {
      placekey
      safegraph_core { location_name brands { brand_name } top_category sub_category naics_code latitude longitude }
    } } } }
  }
}`;

export interface PlaceNode {
  placekey: string;
  safegraph_core?: {
    location_name?: string;
    brands?: Array<{ brand_name?: string }> | null;
    top_category?: string;
    sub_category?: string;
    naics_code?: number;
    latitude?: number;
    longitude?: number;
  };
}

export interface NearestPlaceResponse {
  data?: { search?: { places?: { results?: { edges?: Array<{ node: PlaceNode }> } } } };
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

/** What the connector adds to `context.place`. */
export interface Place {
  placekey: string;
  name?: string;
  brand?: string;
  category?: string;
  subCategory?: string;
  naicsCode?: number;
}

export function placeFrom(response: NearestPlaceResponse): Place | undefined {
  const node = response.data?.search?.places?.results?.edges?.[0]?.node;
  if (!node) return undefined;
  const core = node.safegraph_core ?? {};
  const place: Place = {
    placekey: node.placekey,
    name: core.location_name,
    brand: core.brands?.[0]?.brand_name,
    category: core.top_category,
    subCategory: core.sub_category,
    naicsCode: core.naics_code,
  };
  return Object.fromEntries(Object.entries(place).filter(([, v]) => v !== undefined)) as unknown as Place;
}
