import { open, type CityResponse, type Reader } from 'maxmind';

export interface IpLocation {
  city?: string;
  region?: string;
  country?: string;
  timezone?: string;
  latitude?: number;
  longitude?: number;
}

/** Looks IPs up in a MaxMind-format (.mmdb) database the operator configured (GeoLite2, DB-IP, …). */
export class IpGeo {
  private constructor(private readonly reader: Reader<CityResponse>) {}

  static async open(file: string): Promise<IpGeo> {
    return new IpGeo(await open<CityResponse>(file));
  }

  lookup(ip: string): IpLocation | undefined {
    let found: CityResponse | null;
    try {
      found = this.reader.get(ip);
    } catch {
      return undefined;
    }
    if (!found) return undefined;
    const location: IpLocation = {
      city: found.city?.names?.en,
      region: found.subdivisions?.[0]?.iso_code,
      country: found.country?.iso_code ?? (found as { country_code?: string }).country_code,
      timezone: found.location?.time_zone,
      latitude: found.location?.latitude,
      longitude: found.location?.longitude,
    };
    return Object.fromEntries(Object.entries(location).filter(([, v]) => v !== undefined)) as IpLocation;
  }
}
