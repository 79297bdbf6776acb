import type { CanonicalEvent } from '@switchyard/sdk-kit';
import { CityIndex } from './city-index.js';
import type { IpGeo } from './ip-geo.js';

export interface LocationEnrichmentOptions {
  /** Off for sources with `ipCollection: false` (COPPA). */
  ipEnrichment: boolean;
  ipGeo?: IpGeo;
}

/**
 * Adds city, region, country and timezone to `context.location`: from latitude/longitude when the event
 * has them (offline k-d tree), else from the IP when a MaxMind database is configured and the source
 * allows IP use. Values the event already carries are kept. Runs before fan-out so every connection sees it.
 */
export function enrichLocation(event: CanonicalEvent, options: LocationEnrichmentOptions): 'coordinates' | 'ip' | undefined {
  const location = event.context.location ?? {};
  const { latitude, longitude } = location;
  if (typeof latitude === 'number' && typeof longitude === 'number') {
    const nearest = CityIndex.get().nearest(latitude, longitude);
    if (!nearest) return undefined;
    event.context.location = {
      city: nearest.city,
      region: nearest.region,
      country: nearest.country,
      timezone: nearest.timezone,
      ...location,
    };
    return 'coordinates';
  }
  const ip = event.context.ip;
  if (options.ipEnrichment && options.ipGeo && typeof ip === 'string') {
    const found = options.ipGeo.lookup(ip);
    if (!found) return undefined;
    event.context.location = { ...found, ...location };
    return 'ip';
  }
  return undefined;
}
