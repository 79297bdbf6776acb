import { regionsFor, type AnyConnector } from '@switchyard/sdk-kit';

/**
 * With a deployment-wide `residency` (e.g. `eu`), every connection must declare that its endpoints are in
 * that region. Returns one error per connection that does not, naming where it would send data.
 */
export function checkResidency(
  residency: string | undefined,
  connections: Array<{ at: string; id: string; connector: AnyConnector; settings: unknown }>,
): string[] {
  if (!residency) return [];
  return connections.flatMap(({ at, id, connector, settings }) => {
    const regions = regionsFor(connector, settings);
    if (regions.includes(residency) || regions.includes('local')) return [];
    const where = regions.length ? `its endpoints are in ${regions.join(', ')}` : 'its connector does not declare where its endpoints are';
    return [
      `${at}: connection "${id}" (${connector.name}) is not allowed under residency "${residency}": ${where}. ` +
        "Choose the connector's regional endpoint in its settings, or remove the connection.",
    ];
  });
}
