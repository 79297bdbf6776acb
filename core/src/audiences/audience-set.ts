import { createHash } from 'node:crypto';
import type { StoredCondition } from './audience-store.js';
import type { AudienceDefinition, AudienceOrigin } from './audience-types.js';
import { canonicalJson, compileAudienceRule, type EventCondition, type RuleContext, type RuleTest, type RuleUses } from './audience-rule.js';

/** A definition to compile, with where it comes from and its JSON path (`audiences[2]`, or '' for an API body). */
export interface AudienceEntry {
  definition: AudienceDefinition;
  origin: AudienceOrigin;
  at: string;
}

export interface CompiledAudience extends AudienceDefinition {
  origin: AudienceOrigin;
  /** Hash of the rule as written: a change re-evaluates the audience's known profiles. */
  ruleHash: string;
  test: RuleTest;
  uses: RuleUses;
  /** What no longer resolves since a config reload (a removed audience or purpose); those parts count as false. */
  warnings: string[];
}

/** An event condition in use, with the buckets its audiences need. */
export type ConditionInUse = EventCondition & StoredCondition;

/** Every audience in force, compiled once, with the indexes evaluation runs by. */
export interface AudienceSet {
  audiences: Map<string, CompiledAudience>;
  /** Evaluation order: each audience after the audiences it refers to. */
  order: string[];
  /** Audience key → the audiences whose rule refers to it directly. */
  dependents: Map<string, Set<string>>;
  conditions: Map<string, ConditionInUse>;
  /** Event name → the conditions counting it: an event costs only the conditions of its name. */
  byEvent: Map<string, ConditionInUse[]>;
  /** Condition signature → the audiences using it. */
  byCondition: Map<string, Set<string>>;
  traitAudiences: Set<string>;
  consentAudiences: Set<string>;
  /** Audiences with trait tests relative to now: evaluated again at every daily rollover. */
  timeDependent: Set<string>;
}

export interface SetOptions {
  /** The purpose ids of `privacy.purposes`. */
  purposes: ReadonlySet<string>;
  /**
   * Entries whose references to a missing audience or purpose are kept (as warnings, counting false) instead of
   * refused: audiences made through the API, when a config reload removes something they refer to.
   */
  tolerant?: (entry: AudienceEntry) => boolean;
}

export const EMPTY_SET: AudienceSet = indexSet(new Map(), new Map(), []);

/** Compiles every definition and checks the references between them; every problem names its JSON path. */
export function compileAudienceSet(entries: readonly AudienceEntry[], context: RuleContext, options: SetOptions): { set: AudienceSet; problems: string[] } {
  const problems: string[] = [];
  const audiences = new Map<string, CompiledAudience>();
  const conditions = new Map<string, EventCondition>();
  const keys = new Set(entries.map((e) => e.definition.key));
  for (const entry of entries) {
    const { definition, origin, at } = entry;
    const { compiled, problems: ruleProblems } = compileAudienceRule(definition.rule, at ? `${at}.rule` : 'rule', context);
    problems.push(...ruleProblems);
    if (!compiled) continue;
    const warnings: string[] = [];
    const unresolved = (problem: string) => (options.tolerant?.(entry) ? warnings : problems).push(problem);
    for (const [key, path] of compiled.uses.audiences) {
      if (key === definition.key) problems.push(`${path}: an audience cannot contain itself`);
      else if (!keys.has(key)) unresolved(`${path}: no audience "${key}"${origin === 'config' ? ' under audiences' : ''}`);
    }
    for (const [purpose, path] of compiled.uses.purposes) {
      if (options.purposes.has(purpose)) continue;
      const known = [...options.purposes];
      unresolved(`${path}: "${purpose}" is not a purpose of privacy.purposes (${known.length ? known.join(', ') : 'none are configured'})`);
    }
    if (ruleProblems.length) continue;
    audiences.set(definition.key, {
      ...definition,
      origin,
      ruleHash: createHash('sha256').update(canonicalJson(definition.rule)).digest('hex').slice(0, 32),
      test: compiled.test,
      uses: compiled.uses,
      warnings,
    });
    for (const [signature, condition] of compiled.conditions) conditions.set(signature, condition);
  }
  const written = new Set(entries.filter((e) => !options.tolerant?.(e)).map((e) => e.definition.key));
  const order = evaluationOrder(audiences, problems, (key) => written.has(key));
  return { set: indexSet(audiences, conditions, order), problems };
}

/** Dependencies first; a cycle of `in_audience` references is a problem at the reference that closes it. */
function evaluationOrder(audiences: Map<string, CompiledAudience>, problems: string[], isWritten: (key: string) => boolean): string[] {
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (key: string, stack: string[]) => {
    state.set(key, 'visiting');
    for (const next of audiences.get(key)!.uses.audiences.keys()) {
      if (!audiences.has(next) || next === key) continue;
      if (state.get(next) === 'visiting') {
        // Reported at a reference of an audience being written (the others were accepted before), else where it closes.
        const ring = [...stack.slice(stack.indexOf(next)), key];
        const written = ring.findIndex(isWritten);
        const from = written >= 0 ? written : ring.length - 1;
        const cycle = [...ring.slice(from), ...ring.slice(0, from)];
        const at = audiences.get(cycle[0]!)!.uses.audiences.get(cycle[1]!)!;
        problems.push(`${at}: ${[...cycle, cycle[0]!].map((k) => `"${k}"`).join(' → ')} is a cycle; an audience cannot depend on itself`);
      } else if (!state.has(next)) visit(next, [...stack, key]);
    }
    state.set(key, 'done');
    order.push(key);
  };
  for (const key of [...audiences.keys()].sort()) if (!state.has(key)) visit(key, []);
  return order;
}

function indexSet(audiences: Map<string, CompiledAudience>, conditions: Map<string, EventCondition>, order: string[]): AudienceSet {
  const set: AudienceSet = {
    audiences,
    order,
    dependents: new Map(),
    conditions: new Map(),
    byEvent: new Map(),
    byCondition: new Map(),
    traitAudiences: new Set(),
    consentAudiences: new Set(),
    timeDependent: new Set(),
  };
  const windows = new Map<string, Set<number>>();
  for (const [key, audience] of audiences) {
    for (const referred of audience.uses.audiences.keys()) addTo(set.dependents, referred, key);
    for (const [signature, used] of audience.uses.conditions) {
      addTo(set.byCondition, signature, key);
      for (const days of used) addTo(windows, signature, days);
    }
    if (audience.uses.traits) set.traitAudiences.add(key);
    if (audience.uses.consent) set.consentAudiences.add(key);
    if (audience.uses.timeDependent) set.timeDependent.add(key);
  }
  for (const [signature, condition] of conditions) {
    const used = windows.get(signature) ?? new Set<number>();
    const inUse: ConditionInUse = { ...condition, keepDays: Math.max(0, ...used), keepTotal: used.has(0) };
    set.conditions.set(signature, inUse);
    set.byEvent.set(condition.event, [...(set.byEvent.get(condition.event) ?? []), inUse]);
  }
  return set;
}

function addTo<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  let values = map.get(key);
  if (!values) map.set(key, (values = new Set()));
  values.add(value);
}

/** The audiences to evaluate when these may have changed: they, and every audience that refers to them, in order. */
export function withDependents(set: AudienceSet, keys: Iterable<string>): string[] {
  const wanted = new Set<string>();
  const add = (key: string) => {
    if (wanted.has(key) || !set.audiences.has(key)) return;
    wanted.add(key);
    for (const dependent of set.dependents.get(key) ?? []) add(dependent);
  };
  for (const key of keys) add(key);
  return set.order.filter((key) => wanted.has(key));
}
