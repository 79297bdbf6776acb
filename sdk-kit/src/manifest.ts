import type { AnyConnector } from './define-connector.js';
import { CONTRACT_VERSION } from './define-connector.js';
import { validateMapping } from './mapping/index.js';
import { createSchemaValidator, describeSchemaErrors } from './schema.js';

const CATEGORIES = ['warehouse', 'email', 'advertising', 'enrichment', 'analytics', 'webhook', 'storage', 'crm'];

/** Checks a loaded module really is a connector this runtime can run; returns every problem found. */
export function checkManifest(candidate: unknown): string[] {
  const c = candidate as Partial<AnyConnector> | undefined;
  if (!c || typeof c !== 'object') return ['the module does not export a connector (expected `export default defineConnector({...})`)'];
  const problems: string[] = [];
  if (typeof c.name !== 'string' || !/^[a-z0-9][a-z0-9-]*$/.test(c.name)) problems.push('name: must be lower-case letters, digits and dashes');
  if (typeof c.version !== 'string' || !/^\d+\.\d+\.\d+/.test(c.version)) problems.push('version: must be a semver version such as 1.0.0');
  if (!CATEGORIES.includes(String(c.category))) problems.push(`category: must be one of ${CATEGORIES.join(', ')}`);
  if (c.contractVersion !== CONTRACT_VERSION) {
    problems.push(
      `contractVersion: built for sdk-kit contract ${String(c.contractVersion)}, this runtime runs contract ${CONTRACT_VERSION}; rebuild it with a matching @switchyard/sdk-kit`,
    );
  }
  if (!c.settings || typeof c.settings !== 'object') problems.push('settings: must be a JSON Schema object');
  else {
    try {
      createSchemaValidator().compile(c.settings);
    } catch (error) {
      problems.push(`settings: invalid JSON Schema (${(error as Error).message})`);
    }
  }
  if (!Array.isArray(c.egress) && typeof c.egress !== 'function') problems.push('egress: must list the hosts the connector calls');
  const hasActions = Boolean(c.actions && typeof c.actions === 'object' && Object.keys(c.actions).length > 0);
  if (!hasActions && !c.enrichment && !c.audience) problems.push('actions: must define at least one action (or an enrichment, or an audience sync)');
  if (c.enrichment && (typeof c.enrichment.lookup !== 'function' || typeof c.enrichment.cacheKey !== 'function' || typeof c.enrichment.target !== 'string')) {
    problems.push('enrichment: needs target (a dot path), cacheKey(event, settings) and lookup(ctx)');
  }
  if (c.audience !== undefined) problems.push(...audienceProblems(c.audience));
  for (const hook of ['onDelete', 'onExport'] as const) {
    if (c[hook] !== undefined && typeof c[hook] !== 'function') problems.push(`${hook}: must be a function`);
  }
  for (const [name, action] of Object.entries(c.actions ?? {})) {
    if (typeof action.perform !== 'function') problems.push(`actions.${name}.perform: must be a function`);
    if (!action.subscribe || (action.subscribe.types !== 'all' && !Array.isArray(action.subscribe.types))) {
      problems.push(`actions.${name}.subscribe.types: must be "all" or a list of event types`);
    }
    problems.push(...validateMapping(action.defaultMapping ?? {}, `actions.${name}.defaultMapping`));
  }
  return problems;
}

function audienceProblems(audience: AnyConnector['audience']): string[] {
  if (!audience || typeof audience !== 'object') return ['audience: must be an object with identifiers, maxMembersPerCall and sync(ctx)'];
  const problems: string[] = [];
  const { identifiers } = audience;
  const listed = Array.isArray(identifiers) && identifiers.length > 0 && identifiers.every((t) => typeof t === 'string' && t !== '');
  if (!listed && identifiers !== 'all' && typeof identifiers !== 'function') {
    problems.push('audience.identifiers: must list the identifier types the destination accepts (e.g. ["email", "phone"]), be "all", or be a function');
  }
  if (!Number.isInteger(audience.maxMembersPerCall) || audience.maxMembersPerCall < 1) {
    problems.push('audience.maxMembersPerCall: must be a positive integer (the vendor documented batch limit)');
  }
  if (typeof audience.sync !== 'function') problems.push('audience.sync: must be a function');
  if (audience.advertising !== undefined && typeof audience.advertising !== 'boolean') problems.push('audience.advertising: must be a boolean');
  if (audience.syncSettings !== undefined) {
    try {
      createSchemaValidator().compile(audience.syncSettings);
    } catch (error) {
      problems.push(`audience.syncSettings: invalid JSON Schema (${(error as Error).message})`);
    }
  }
  return problems;
}

/**
 * Validates an audience sync's settings against the connector's `audience.syncSettings`; applies its defaults in
 * place. A connector without an audience sync refuses every sync.
 */
export function checkSyncSettings(connector: AnyConnector, sync: unknown, at = 'sync'): string[] {
  if (!connector.audience) return [`${at}: connector "${connector.name}" does not sync audiences`];
  if (!connector.audience.syncSettings) return [];
  const validate = createSchemaValidator().compile(connector.audience.syncSettings);
  return validate(sync) ? [] : describeSchemaErrors(validate.errors, at);
}

/** Validates a connection's settings against the connector's schema; applies schema defaults in place. */
export function checkSettings(connector: AnyConnector, settings: unknown, at = 'settings'): string[] {
  const validate = createSchemaValidator().compile(connector.settings);
  return validate(settings) ? [] : describeSchemaErrors(validate.errors, at);
}
