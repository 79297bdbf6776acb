import type { MparticleSourceConfig, SegmentSourceConfig } from '../config/config-types.js';
import type { ResolvedConfig, ResolvedConnection, ResolvedSource } from './resolve-config.js';
import { IpGeo } from '../enrichment/ip-geo.js';
import type { IntakeRouting } from '../intake/event-intake.js';

/**
 * A quarantine connection receives only what data plans block, and the request page's email connection only the
 * verification mails people ask for: neither takes the regular fan-out.
 */
export function regularConnections(config: ResolvedConfig): ResolvedConnection[] {
  const mail = config.privacyPages.requests?.emailConnection;
  return config.connections.filter((c) => c.id !== mail && !config.dataPlans.some((p) => p.quarantine === c.id));
}

/** What the intake routes by, for one config. */
export async function intakeRoutingOf(config: ResolvedConfig): Promise<IntakeRouting> {
  return {
    sources: new Map(config.sources.map((s) => [s.id, s])),
    connections: regularConnections(config),
    connectionsById: new Map(config.connections.map((c) => [c.id, c])),
    dataPlans: new Map(config.dataPlans.map((p) => [p.id, p])),
    location: { enabled: config.location.enabled, ipGeo: config.location.maxmindDatabase ? await IpGeo.open(config.location.maxmindDatabase) : undefined },
  };
}

const indexes = new WeakMap<ResolvedConfig, ReturnType<typeof buildSourceIndex>>();

/** Sources by credential (Segment write key, mParticle API key), built once per config. */
export function sourceIndex(config: ResolvedConfig) {
  let index = indexes.get(config);
  if (!index) indexes.set(config, (index = buildSourceIndex(config)));
  return index;
}

function buildSourceIndex(config: ResolvedConfig) {
  const segment = new Map<string, ResolvedSource & SegmentSourceConfig>();
  const mparticle = new Map<string, ResolvedSource & MparticleSourceConfig>();
  for (const source of config.sources) {
    if (source.type === 'segment') segment.set(source.writeKey, source as ResolvedSource & SegmentSourceConfig);
    else mparticle.set(source.apiKey, source as ResolvedSource & MparticleSourceConfig);
  }
  return { segment, mparticle };
}
