import type { Logger } from '../logging.js';
import type { AudienceEngine } from './audience-engine.js';
import type { AudienceReevaluation } from './audience-reevaluation.js';
import type { RuleContext } from './audience-rule.js';
import { compileAudienceSet, type AudienceEntry, type AudienceSet, type CompiledAudience } from './audience-set.js';
import type { AudienceStore, StoredDefinition } from './audience-store.js';
import type { AudienceDefinition, Clock } from './audience-types.js';

export type PutResult = { audience: CompiledAudience; created: boolean } | { problems: string[] } | { conflict: string };
export type DeleteResult = { deleted: true } | { notFound: true } | { conflict: string };

export interface RegistryDeps {
  store: AudienceStore;
  engine: AudienceEngine;
  reevaluation: AudienceReevaluation;
  context: RuleContext;
  clock: Clock;
  log: Logger;
}

/**
 * The audiences in force: those of the config file (`origin: config`, changed by editing the file) and those made
 * through the admin API (`origin: api`, stored in audiences.db). A config audience shadows an API audience of the
 * same key, which comes back if the config drops it. Every change compiles the whole set, so a definition that
 * breaks another (a cycle, a reference to a deleted audience) is refused before anything changes; a change
 * installed makes removed audiences' members leave and new or changed audiences be re-evaluated in the background.
 */
export class AudienceRegistry {
  private configured: AudienceDefinition[] = [];
  private purposes: ReadonlySet<string> = new Set();
  private readonly stored = new Map<string, StoredDefinition>();
  private updates: Promise<unknown> = Promise.resolve();

  private constructor(private readonly deps: RegistryDeps) {}

  static async open(deps: RegistryDeps, configured: readonly AudienceDefinition[], purposes: ReadonlySet<string>): Promise<AudienceRegistry> {
    const registry = new AudienceRegistry(deps);
    for (const definition of await deps.store.definitions()) registry.stored.set(definition.key, definition);
    registry.configured = [...configured];
    registry.purposes = purposes;
    const { set, problems } = registry.compile();
    for (const problem of problems) deps.log.warn(`an audience made through the admin API is not in force: ${problem}`);
    await deps.engine.useSet(set);
    await deps.reevaluation.resume(set);
    return registry;
  }

  get set(): AudienceSet {
    return this.deps.engine.audiences;
  }

  /** When an API audience and its timestamps, for the admin API. */
  storedDefinition(key: string): StoredDefinition | undefined {
    return this.stored.get(key);
  }

  /** A config reload: the config's audiences (already checked against each other) and purposes replace the old. */
  applyConfig(configured: readonly AudienceDefinition[], purposes: ReadonlySet<string>): Promise<void> {
    return this.serialized(async () => {
      const previous = { configured: this.configured, purposes: this.purposes };
      this.configured = [...configured];
      this.purposes = purposes;
      const { set, problems } = this.compile();
      if (problems.length) {
        // Only API audiences can break here (a cycle through a config key they now reach); the config stays, they wait.
        this.deps.log.error({ problems }, 'audiences made through the admin API conflict with the reloaded config; the previous audiences stay in force');
        Object.assign(this, previous);
        return;
      }
      await this.install(set);
    });
  }

  /** Creates or replaces an API audience; refused with every problem's path, or when the key belongs to the config. */
  put(definition: AudienceDefinition): Promise<PutResult> {
    return this.serialized(async () => {
      if (this.configured.some((c) => c.key === definition.key)) {
        return { conflict: `audience "${definition.key}" is defined in the config file (origin: config); change it there` };
      }
      const created = !this.stored.has(definition.key);
      const { set, problems } = this.compile({ definition, origin: 'api', at: '' });
      if (problems.length) return { problems };
      const saved = await this.deps.store.saveDefinition(definition, this.deps.clock());
      this.stored.set(definition.key, saved);
      await this.install(set);
      return { audience: set.audiences.get(definition.key)!, created };
    });
  }

  /** Deletes an API audience; refused for config audiences and for audiences others refer to. */
  delete(key: string): Promise<DeleteResult> {
    return this.serialized(async () => {
      if (this.configured.some((c) => c.key === key)) return { conflict: `audience "${key}" is defined in the config file (origin: config); remove it there` };
      if (!this.stored.has(key)) return { notFound: true };
      const referring = [...(this.set.dependents.get(key) ?? [])];
      if (referring.length) return { conflict: `audience "${key}" is used by ${referring.map((k) => `"${k}"`).join(', ')} (in_audience); change those first` };
      await this.deps.store.deleteDefinition(key);
      this.stored.delete(key);
      await this.install(this.compile().set);
      return { deleted: true };
    });
  }

  private compile(change?: AudienceEntry): { set: AudienceSet; problems: string[] } {
    const configuredKeys = new Set(this.configured.map((d) => d.key));
    const entries: AudienceEntry[] = this.configured.map((definition, i) => ({ definition, origin: 'config', at: `audiences[${i}]` }));
    for (const definition of this.stored.values()) {
      if (configuredKeys.has(definition.key) || definition.key === change?.definition.key) continue;
      entries.push({ definition: { key: definition.key, ...pick(definition), rule: definition.rule }, origin: 'api', at: `audience "${definition.key}"` });
    }
    if (change) entries.push(change);
    return compileAudienceSet(entries, this.deps.context, {
      purposes: this.purposes,
      // The audience being written must resolve; others made before may have lost a reference to a reload.
      tolerant: (entry) => entry.origin === 'api' && entry !== change,
    });
  }

  private async install(set: AudienceSet): Promise<void> {
    const before = this.set;
    for (const [key, audience] of set.audiences) {
      if (audience.origin === 'config' && before.audiences.get(key)?.origin === 'api') {
        this.deps.log.warn({ audience: key }, 'the config now defines an audience made through the admin API; the config definition is in force');
      }
    }
    await this.deps.engine.useSet(set);
    for (const [key, audience] of set.audiences) {
      for (const warning of audience.warnings) this.deps.log.warn({ audience: key }, warning);
      if (before.audiences.get(key)?.ruleHash !== audience.ruleHash) this.deps.reevaluation.start(key, audience.ruleHash);
    }
    for (const key of before.audiences.keys()) {
      if (set.audiences.has(key)) continue;
      await this.deps.reevaluation.forget(key);
      await this.deps.engine.run(() => this.deps.engine.emptyAudience(key));
    }
  }

  private serialized<T>(work: () => Promise<T>): Promise<T> {
    const run = this.updates.then(work);
    this.updates = run.catch(() => undefined);
    return run;
  }
}

function pick(definition: AudienceDefinition): Pick<AudienceDefinition, 'name' | 'description'> {
  return {
    ...(definition.name !== undefined ? { name: definition.name } : {}),
    ...(definition.description !== undefined ? { description: definition.description } : {}),
  };
}
