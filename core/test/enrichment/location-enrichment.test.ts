import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { enrichLocation } from '../../src/enrichment/location-enrichment.js';
import { IpGeo } from '../../src/enrichment/ip-geo.js';
import { CityIndex } from '../../src/enrichment/city-index.js';
import { trackEvent } from '../helpers/events.js';
import { writeMmdb } from '../helpers/mmdb-writer.js';

describe('location enrichment', () => {
  it('turns coordinates into the nearest city, region, country and timezone, offline', () => {
    const event = trackEvent({ context: { location: { latitude: 48.8566, longitude: 2.3522 } } });
    expect(enrichLocation(event, { ipEnrichment: true })).toBe('coordinates');
    expect(event.context.location).toMatchObject({ city: 'Paris', country: 'FR', timezone: 'Europe/Paris', latitude: 48.8566 });

    const sf = CityIndex.get().nearest(37.7793, -122.4193);
    expect(sf).toMatchObject({ city: 'San Francisco', region: 'CA', country: 'US', timezone: 'America/Los_Angeles' });
    expect(sf!.distanceKm).toBeLessThan(5);
  });

  it('keeps values the event already has and ignores coordinates far from any city', () => {
    const event = trackEvent({ context: { location: { latitude: 51.5072, longitude: -0.1276, city: 'Westminster' } } });
    enrichLocation(event, { ipEnrichment: true });
    expect(event.context.location).toMatchObject({ city: 'Westminster', country: 'GB', timezone: 'Europe/London' });
    expect(CityIndex.get().nearest(-48.8767, -123.3933)).toBeUndefined(); // Point Nemo
    expect(CityIndex.get().nearest(91, 0)).toBeUndefined();
  });

  describe('IP to geo from a MaxMind-format database', () => {
    let dir: string;
    let ipGeo: IpGeo;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'switchyard-mmdb-'));
      const file = join(dir, 'test-city.mmdb');
      writeFileSync(
        file,
        writeMmdb([
          {
            cidr: '203.0.113.0/24',
            record: {
              city: { names: { en: 'Lyon' } },
              country: { iso_code: 'FR' },
              subdivisions: [{ iso_code: 'ARA' }],
              location: { latitude: 45.76, longitude: 4.84, time_zone: 'Europe/Paris' },
            },
          },
          { cidr: '198.51.100.0/24', record: { country: { iso_code: 'CA' } } },
        ]),
      );
      ipGeo = await IpGeo.open(file);
    });

    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('fills the location from the IP when there are no coordinates', () => {
      const event = trackEvent({ context: { ip: '203.0.113.77' } });
      expect(enrichLocation(event, { ipEnrichment: true, ipGeo })).toBe('ip');
      expect(event.context.location).toEqual({ city: 'Lyon', region: 'ARA', country: 'FR', timezone: 'Europe/Paris', latitude: 45.76, longitude: 4.84 });
      expect(ipGeo.lookup('198.51.100.9')).toEqual({ country: 'CA' });
      expect(ipGeo.lookup('192.0.2.1')).toBeUndefined();
      expect(ipGeo.lookup('not-an-ip')).toBeUndefined();
    });

    it('does not use the IP for sources with IP collection off', () => {
      const event = trackEvent({ context: { ip: '203.0.113.77' } });
      expect(enrichLocation(event, { ipEnrichment: false, ipGeo })).toBeUndefined();
      expect(event.context.location).toBeUndefined();
    });
  });
});
