import { accessSync, constants, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve as resolvePath } from 'node:path';
import { checkSettings, checkSyncSettings, secretValues, validateMapping, type AnyConnector } from '@switchyard/sdk-kit';
import { compileAudienceSet } from '../audiences/audience-set.js';
import type { AudienceDefinition } from '../audiences/audience-types.js';
import type { AudienceSyncConfig } from '../audience-syncs/sync-types.js';
import { loadConnector } from '../connectors/connector-registry.js';
import type { RuntimeConnection } from '../delivery/delivery-runtime.js';
import type { EnrichmentConnection } from '../enrichment/enrichment-stage.js';
import { compileDataPlan, type DataPlan } from '../data-plans/data-plan.js';
import { resolveIdentityRules } from '../identity/identity-rules.js';
import { checkConsentRules, resolvePrivacyConfig } from '../privacy/privacy-config.js';
import { checkResidency } from '../privacy/residency.js';
import { compileConnectionFilters, type ConnectionFilters } from '../routing/connection-filters.js';
import type {
  ConnectionConfig,
  ConnectionConsentRule,
  DsrConfig,
  IdentityConfig,
  PrivacyConfig,
  PrivacyPagesConfig,
  QueueConfig,
  SharedStateConfig,
  SwitchyardConfig,
} from '../config/config-types.js';
import type { ResolvedSource } from '../config/resolved-source.js';
import { ConfigError, readConfigFile } from '../config/read-config-file.js';

export type { ResolvedSource } from '../config/resolved-source.js';

/** A delivery connection with the sources it listens to (undefined: all). */
export interface ResolvedConnection extends RuntimeConnection {
  sources?: string[];
  /** Consent rule for this connection (privacy gate). */
  consent?: ConnectionConsentRule;
  /** `filters`, compiled (applied by the routing decision). */
  filters?: ConnectionFilters;
}

/** A configuration checked end to end: connectors loaded, settings, mappings, consent and residency valid. */
export interface ResolvedConfig {
  file: string;
  baseDir: string;
  server: { host: string; port: number; publicUrl?: string; trustProxy: boolean; metricsToken?: string };
  storageDir: string;
  /** Where accepted events wait for delivery (default: SQLite in the storage dir). */
  queue: QueueConfig;
  logLevel?: string;
  residency?: string;
  ingestion: { dedupeWindowMs: number; dedupeCapacity: number };
  privacy: PrivacyConfig;
  identity: IdentityConfig;
  /** Where shared state lives; with PostgreSQL the identity graph is kept there too unless `identity.store` says otherwise. */
  state: SharedStateConfig;
  adminTokens: string[];
  dsr: DsrConfig;
  /** The consent banner and the data-subject request page (absent: both answer 404). */
  privacyPages: PrivacyPagesConfig;
  location: { enabled: boolean; maxmindDatabase?: string };
  dataPlans: DataPlan[];
  sources: ResolvedSource[];
  connections: ResolvedConnection[];
  enrichments: EnrichmentConnection[];
  /** The config's audiences, checked against each other and the purposes (origin: config). */
  audiences: AudienceDefinition[];
  /** Every audience's `syncs`, checked against the connections and their connectors' sync settings. */
  audienceSyncs: AudienceSyncConfig[];
  /** Every secret value in the file, scrubbed from logs wherever it appears. */
  secrets: string[];
}

/** Reads, validates and resolves a config file. Throws ConfigError listing every problem. */
export interface LoadConfigOptions {
  /** Where else to look for connector packages: the folder of the program that ships them (the CLI). */
  connectorDirs?: readonly string[];
}

export async function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env, options: LoadConfigOptions = {}): Promise<ResolvedConfig> {
  const absolute = resolvePath(file);
  return resolveConfig(readConfigFile(absolute, env), absolute, options);
}

export async function resolveConfig(raw: SwitchyardConfig, file: string, options: LoadConfigOptions = {}): Promise<ResolvedConfig> {
  const baseDir = dirname(file);
  const problems: string[] = [];
  const privacy = resolvePrivacyConfig(raw.privacy);
  const state = resolveState(raw);
  const identity = identityWithState(raw.identity ?? {}, state);
  try {
    resolveIdentityRules(identity);
  } catch (error) {
    problems.push((error as Error).message);
  }
  const sources = raw.sources.map((s) => ({ ...s, ipCollection: s.ipCollection ?? true }));
  checkUniqueIds(raw, problems);

  const sourceIds = new Set(sources.map((s) => s.id));
  const enabled = (raw.connections ?? []).map((c, index) => ({ c, at: `connections[${index}]` })).filter(({ c }) => c.enabled !== false);
  const loaded: Array<{ c: ConnectionConfig; at: string; connector: AnyConnector; moduleUrl: string; filters?: ConnectionFilters }> = [];
  for (const { c, at } of enabled) {
    for (const [i, sourceId] of (c.sources ?? []).entries()) {
      if (!sourceIds.has(sourceId)) problems.push(`${at}.sources[${i}]: no source with id "${sourceId}" (sources: ${[...sourceIds].join(', ')})`);
    }
    try {
      const { connector, moduleUrl } = await loadConnector(c.connector, baseDir, options.connectorDirs);
      const settings = structuredClone(c.settings ?? {});
      problems.push(...checkSettings(connector, settings, `${at}.settings`));
      problems.push(...checkActions(connector, c, at));
      const { filters, problems: filterProblems } = compileConnectionFilters(c.filters, `${at}.filters`);
      problems.push(...filterProblems);
      if (filters && connector.enrichment)
        problems.push(`${at}.filters: ${c.id} is an enrichment connection, which receives no events to filter; remove filters`);
      loaded.push({ c: { ...c, settings }, at, connector, moduleUrl, filters });
    } catch (error) {
      problems.push(`${at}.connector: ${(error as Error).message}`);
    }
  }
  problems.push(
    ...checkConsentRules(
      privacy,
      enabled.map(({ c, at }) => ({ at: `${at}.consent`, rule: c.consent })),
    ),
  );
  problems.push(
    ...checkResidency(
      raw.residency,
      loaded.map(({ c, at, connector }) => ({ at, id: c.id, connector, settings: c.settings })),
    ),
  );

  const connectionIds = new Set(loaded.map(({ c }) => c.id));
  const dataPlans = compileDataPlans(raw, baseDir, connectionIds, problems);
  const planIds = new Set(dataPlans.map((p) => p.id));
  sources.forEach((s, i) => {
    if (s.dataPlan && !planIds.has(s.dataPlan)) problems.push(`sources[${i}].dataPlan: no data plan with id "${s.dataPlan}" under dataPlans`);
  });
  if (raw.enrichment?.location?.maxmindDatabase) {
    const path = resolveFrom(baseDir, raw.enrichment.location.maxmindDatabase);
    try {
      accessSync(path, constants.R_OK);
    } catch {
      problems.push(`enrichment.location.maxmindDatabase: cannot read ${path}`);
    }
  }
  const audiences = (raw.audiences ?? []).map(({ syncs: _syncs, ...definition }) => definition);
  problems.push(...checkAudiences(audiences, privacy));
  const audienceSyncs = resolveAudienceSyncs(raw, loaded, problems);
  const emailConnection = raw.privacyPages?.requests?.emailConnection;
  if (emailConnection && !enabled.some(({ c }) => c.id === emailConnection))
    problems.push(`privacyPages.requests.emailConnection: no enabled connection with id "${emailConnection}" under connections`);
  if (problems.length) throw new ConfigError(file, problems);

  const delivery = loaded.filter(({ connector }) => !connector.enrichment);
  const enrichments = loaded.filter(({ connector }) => connector.enrichment);
  return {
    file,
    baseDir,
    server: {
      host: raw.server?.host ?? '127.0.0.1',
      port: raw.server?.port ?? 8088,
      publicUrl: raw.server?.publicUrl,
      trustProxy: raw.server?.trustProxy ?? false,
      ...(raw.server?.metricsToken ? { metricsToken: raw.server.metricsToken } : {}),
    },
    storageDir: resolveFrom(baseDir, raw.storage?.dir ?? './.switchyard'),
    queue: raw.queue ?? { type: 'sqlite' },
    logLevel: raw.logging?.level,
    residency: raw.residency,
    ingestion: {
      dedupeWindowMs: (raw.ingestion?.dedupeWindowSeconds ?? 24 * 3600) * 1000,
      dedupeCapacity: raw.ingestion?.dedupeCapacity ?? 1_000_000,
    },
    privacy,
    identity,
    state,
    adminTokens: raw.admin?.tokens ?? [],
    dsr: {
      ...raw.dsr,
      certificateFile: raw.dsr?.certificateFile && resolveFrom(baseDir, raw.dsr.certificateFile),
      privateKeyFile: raw.dsr?.privateKeyFile && resolveFrom(baseDir, raw.dsr.privateKeyFile),
    },
    privacyPages: raw.privacyPages ?? {},
    location: {
      enabled: raw.enrichment?.location?.enabled ?? true,
      maxmindDatabase: raw.enrichment?.location?.maxmindDatabase && resolveFrom(baseDir, raw.enrichment.location.maxmindDatabase),
    },
    dataPlans,
    sources,
    connections: delivery.map(({ c, connector, moduleUrl, filters }) => ({
      id: c.id,
      connector,
      moduleUrl,
      settings: c.settings,
      sources: c.sources,
      delivery: c.delivery,
      mappingOverrides: c.mapping,
      enabledActions: c.actions,
      consent: c.consent,
      endpointOverrides: c.endpointOverrides,
      filters,
    })),
    audiences,
    audienceSyncs,
    enrichments: enrichments.map(({ c, connector, moduleUrl }) => ({
      id: c.id,
      connector,
      moduleUrl,
      settings: c.settings,
      timeoutMs: c.enrichment?.timeoutMs,
      cacheTtlMs: c.enrichment?.cacheTtlSeconds && c.enrichment.cacheTtlSeconds * 1000,
      cacheSize: c.enrichment?.cacheSize,
    })),
    secrets: [
      ...sources.flatMap((s) => (s.type === 'segment' ? [s.writeKey] : [s.apiSecret])),
      ...(raw.admin?.tokens ?? []),
      ...(raw.server?.metricsToken ? [raw.server.metricsToken] : []),
      ...passwordsOf([state.type === 'postgres' ? state.url : undefined, identity.store?.type === 'postgres' ? identity.store.url : undefined]),
      ...loaded.flatMap(({ c, connector }) => secretValues(connector.settings, c.settings)),
    ].filter((s) => s.length >= 4),
  };
}

function resolveAudienceSyncs(
  raw: SwitchyardConfig,
  loaded: ReadonlyArray<{ c: ConnectionConfig; connector: AnyConnector }>,
  problems: string[],
): AudienceSyncConfig[] {
  const connectors = new Map(loaded.map(({ c, connector }) => [c.id, connector]));
  const syncs: AudienceSyncConfig[] = [];
  (raw.audiences ?? []).forEach((a, i) => {
    const seen = new Set<string>();
    (a.syncs ?? []).forEach((sync, j) => {
      const at = `audiences[${i}].syncs[${j}]`;
      const connector = connectors.get(sync.connection);
      if (!connector) return void problems.push(`${at}.connection: no connection with id "${sync.connection}"`);
      if (seen.has(sync.connection)) return void problems.push(`${at}.connection: "${sync.connection}" already has a sync of this audience`);
      seen.add(sync.connection);
      const as = sync.as ?? (connector.audience ? 'audience' : 'track');
      const settings = structuredClone(sync.settings ?? {});
      const invalid = as === 'audience' ? checkSyncSettings(connector, settings, `${at}.settings`) : [];
      if (invalid.length) return void problems.push(...invalid);
      const mode = sync.mode ?? 'add-remove';
      const period = checkSyncPeriod(mode, sync.every, connector, as, at, problems);
      if (period === null) return;
      syncs.push({ audience: a.key, connection: sync.connection, mode, ...(period ? { every: period } : {}), as, settings });
    });
  });
  return syncs;
}

const PERIOD_UNITS_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** A mirror sync's `every` (undefined for other modes); null after recording a problem. */
function checkSyncPeriod(
  mode: string,
  every: string | undefined,
  connector: AnyConnector,
  as: string,
  at: string,
  problems: string[],
): { text: string; ms: number } | undefined | null {
  if (mode !== 'mirror') {
    if (every === undefined) return undefined;
    problems.push(`${at}.every: only a sync with mode "mirror" is reconciled periodically; remove "every" or set mode: mirror`);
    return null;
  }
  if (as !== 'audience') {
    problems.push(`${at}.mode: "mirror" needs an audience sync (as: audience); Audience Entered / Exited events cannot be reconciled`);
    return null;
  }
  if (!connector.audience?.listMembers) {
    problems.push(`${at}.mode: connector "${connector.name}" cannot list the members of a destination audience, so it cannot mirror; use add-remove`);
    return null;
  }
  const match = /^([1-9][0-9]{0,4})(m|h|d)$/.exec(every ?? '');
  if (!match) {
    problems.push(
      `${at}.every: ${every === undefined ? 'a mirror sync needs' : `"${every}" is not`} a period like "30m", "1h" or "1d" (minutes, hours or days)`,
    );
    return null;
  }
  return { text: every!, ms: Number(match[1]) * PERIOD_UNITS_MS[match[2] as keyof typeof PERIOD_UNITS_MS] };
}

function checkAudiences(audiences: AudienceDefinition[], privacy: PrivacyConfig): string[] {
  const problems: string[] = [];
  const seen = new Map<string, number>();
  audiences.forEach((a, i) => {
    const earlier = seen.get(a.key);
    if (earlier !== undefined) problems.push(`audiences[${i}].key: "${a.key}" is already used by audiences[${earlier}]; keys must be unique`);
    else seen.set(a.key, i);
  });
  const entries = audiences.map((definition, i) => ({ definition, origin: 'config' as const, at: `audiences[${i}]` }));
  const compiled = compileAudienceSet(entries, { privacy: () => privacy, now: Date.now }, { purposes: new Set(privacy.purposes.map((p) => p.id)) });
  return [...problems, ...compiled.problems];
}

function resolveFrom(baseDir: string, path: string): string {
  return isAbsolute(path) ? path : resolvePath(baseDir, path);
}

function checkUniqueIds(raw: SwitchyardConfig, problems: string[]): void {
  const seen = new Map<string, string>();
  const note = (id: string, at: string) => {
    const earlier = seen.get(id);
    if (earlier) problems.push(`${at}.id: "${id}" is already used by ${earlier}; ids must be unique`);
    else seen.set(id, at);
  };
  raw.sources.forEach((s, i) => note(s.id, `sources[${i}]`));
  (raw.connections ?? []).forEach((c, i) => note(c.id, `connections[${i}]`));
  const writeKeys = new Map<string, number>();
  raw.sources.forEach((s, i) => {
    const key = s.type === 'segment' ? `segment:${s.writeKey}` : `mparticle:${s.apiKey}`;
    const earlier = writeKeys.get(key);
    if (earlier !== undefined)
      problems.push(`sources[${i}]: uses the same ${s.type === 'segment' ? 'writeKey' : 'apiKey'} as sources[${earlier}]; each source needs its own`);
    else writeKeys.set(key, i);
  });
}

function checkActions(connector: AnyConnector, c: ConnectionConfig, at: string): string[] {
  const actions = Object.keys(connector.actions ?? {});
  const problems = (c.actions ?? []).flatMap((name, i) =>
    actions.includes(name) ? [] : [`${at}.actions[${i}]: connector "${connector.name}" has no action "${name}" (actions: ${actions.join(', ')})`],
  );
  for (const [action, fields] of Object.entries(c.mapping ?? {})) {
    if (!actions.includes(action)) {
      problems.push(`${at}.mapping.${action}: connector "${connector.name}" has no action "${action}" (actions: ${actions.join(', ')})`);
      continue;
    }
    for (const [field, mapping] of Object.entries(fields)) problems.push(...validateMapping(mapping, `${at}.mapping.${action}.${field}`));
  }
  return problems;
}

function compileDataPlans(raw: SwitchyardConfig, baseDir: string, connectionIds: Set<string>, problems: string[]): DataPlan[] {
  return (raw.dataPlans ?? []).flatMap((plan, i) => {
    const at = `dataPlans[${i}]`;
    if (plan.quarantine && !connectionIds.has(plan.quarantine)) problems.push(`${at}.quarantine: no enabled connection with id "${plan.quarantine}"`);
    let document = plan.document;
    if (plan.file) {
      const path = resolveFrom(baseDir, plan.file);
      try {
        document = JSON.parse(readFileSync(path, 'utf8'));
      } catch (error) {
        problems.push(`${at}.file: cannot read a JSON data plan from ${path} (${(error as Error).message})`);
        return [];
      }
    }
    try {
      return [compileDataPlan({ ...plan, document })];
    } catch (error) {
      problems.push(`${at}: ${(error as Error).message}`);
      return [];
    }
  });
}

function resolveState(raw: SwitchyardConfig): SharedStateConfig {
  const state = raw.state;
  return state?.type === 'postgres' ? { type: 'postgres', url: state.url, schema: state.schema ?? 'switchyard' } : { type: 'sqlite' };
}

/** With shared state in PostgreSQL the identity graph is shared too, unless `identity.store` names its own store. */
function identityWithState(identity: IdentityConfig, state: SharedStateConfig): IdentityConfig {
  if (identity.store || state.type !== 'postgres') return identity;
  return { ...identity, store: { type: 'postgres', url: state.url, schema: state.schema } };
}

/** Passwords inside connection URLs, scrubbed from logs like every other secret. */
function passwordsOf(urls: ReadonlyArray<string | undefined>): string[] {
  return urls.flatMap((url) => {
    if (!url) return [];
    try {
      const password = decodeURIComponent(new URL(url).password);
      return password ? [password] : [];
    } catch {
      return [];
    }
  });
}
