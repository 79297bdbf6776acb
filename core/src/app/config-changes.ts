import type { ResolvedConfig, ResolvedConnection } from './resolve-config.js';
import type { EnrichmentConnection } from '../enrichment/enrichment-stage.js';

/** What an operator can change on one connection, compared by value (secrets are named, never shown). */
const CONNECTION_PARTS = {
  connector: (c: ResolvedConnection | EnrichmentConnection) => c.moduleUrl,
  settings: (c: ResolvedConnection | EnrichmentConnection) => c.settings,
  mapping: (c: ResolvedConnection | EnrichmentConnection) => ('mappingOverrides' in c ? c.mappingOverrides : undefined),
  actions: (c: ResolvedConnection | EnrichmentConnection) => ('enabledActions' in c ? c.enabledActions : undefined),
  delivery: (c: ResolvedConnection | EnrichmentConnection) => ('delivery' in c ? c.delivery : undefined),
  endpoints: (c: ResolvedConnection | EnrichmentConnection) => ('endpointOverrides' in c ? c.endpointOverrides : undefined),
  sources: (c: ResolvedConnection | EnrichmentConnection) => ('sources' in c ? c.sources : undefined),
  consent: (c: ResolvedConnection | EnrichmentConnection) => ('consent' in c ? c.consent : undefined),
  filters: (c: ResolvedConnection | EnrichmentConnection) => ('filters' in c ? c.filters?.rules : undefined),
  enrichment: (c: ResolvedConnection | EnrichmentConnection) => ('timeoutMs' in c ? [c.timeoutMs, c.cacheTtlMs, c.cacheSize] : undefined),
};

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * What a reload changed, one entry per thing: `+connection x`, `-connection x`, `~connection x (settings, delivery)`,
 * the same for sources and audiences, and the sections whose rules changed (`~privacy`, `~identity`, `~dataPlans`, …).
 */
export function describeChanges(before: ResolvedConfig, after: ResolvedConfig): string[] {
  const changes: string[] = [];
  const byId = <T extends { id: string }>(list: readonly T[]) => new Map(list.map((item) => [item.id, item]));
  const diff = <T extends { id: string }>(kind: string, old: Map<string, T>, now: Map<string, T>, parts: (a: T, b: T) => string[]) => {
    for (const id of now.keys()) if (!old.has(id)) changes.push(`+${kind} ${id}`);
    for (const id of old.keys()) if (!now.has(id)) changes.push(`-${kind} ${id}`);
    for (const [id, item] of now) {
      const previous = old.get(id);
      if (!previous) continue;
      const changed = parts(previous, item);
      if (changed.length) changes.push(`~${kind} ${id} (${changed.join(', ')})`);
    }
  };
  diff('connection', byId([...before.connections, ...before.enrichments]), byId([...after.connections, ...after.enrichments]), (a, b) =>
    Object.entries(CONNECTION_PARTS)
      .filter(([, part]) => !same(part(a), part(b)))
      .map(([name]) => name),
  );
  diff('source', byId(before.sources), byId(after.sources), (a, b) =>
    [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((key) => !same((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key])),
  );
  const audiencesOf = (c: ResolvedConfig) => byId(c.audiences.map(({ key, ...rest }) => ({ id: key, ...rest })));
  diff('audience', audiencesOf(before), audiencesOf(after), (a, b) => (['rule', 'name', 'description'] as const).filter((part) => !same(a[part], b[part])));
  const planOf = (c: ResolvedConfig) => c.dataPlans.map((p) => [p.id, p.version, p.quarantine]);
  for (const [section, of] of [
    ['privacy', (c: ResolvedConfig) => c.privacy],
    ['identity', (c: ResolvedConfig) => c.identity],
    ['dsr', (c: ResolvedConfig) => c.dsr],
    ['privacyPages', (c: ResolvedConfig) => c.privacyPages],
    ['dataPlans', planOf],
    ['ingestion', (c: ResolvedConfig) => c.ingestion],
    ['location', (c: ResolvedConfig) => c.location],
    ['residency', (c: ResolvedConfig) => c.residency],
    ['adminTokens', (c: ResolvedConfig) => c.adminTokens.length],
    ['logging', (c: ResolvedConfig) => c.logLevel],
  ] as const) {
    if (!same(of(before), of(after))) changes.push(`~${section}`);
  }
  return changes;
}
