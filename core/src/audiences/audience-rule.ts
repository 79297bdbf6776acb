import type { CanonicalEvent } from '@switchyard/sdk-kit';
import { createSchemaValidator } from '@switchyard/sdk-kit';
import { describeRuleErrors } from '../config/audience-rule-errors.js';
import type { PrivacyConfig } from '../config/config-types.js';
import { AUDIENCE_RULE_ID, AUDIENCE_RULE_SCHEMA, COMPARATORS, type AudienceRule, type EventConditionRule } from '../config/schema/audiences.js';
import { isPurposeConsented, isSaleOptedOut } from '../privacy/consent.js';
import type { UserConsent } from '../profiles/consent-record.js';
import { compileCondition, compileFieldPath, ConditionError, CONDITION_SCHEMA, MAX_DEPTH, type ConditionTest } from '../rules/index.js';
import type { DayStats } from './audience-store.js';

/** An event condition's counting part, shared by every audience that uses the same event, filter and `of`. */
export interface EventCondition {
  /** Canonical JSON of { event, where, of }: the identity of its counters. */
  signature: string;
  event: string;
  /** The `where` filter; undefined counts every event of the name. */
  matches?: ConditionTest;
  /** The number `of` reads (numbers, and strings holding one); undefined when nothing is summed. */
  value?: (event: CanonicalEvent) => number | undefined;
}

/** What evaluating a rule reads about one person. */
export interface ProfileFacts {
  traits(): Record<string, unknown>;
  consent(): UserConsent;
  /** A condition's aggregates over the last `withinDays` days and today, or since it was first used (undefined). */
  aggregate(signature: string, withinDays: number | undefined): DayStats;
  isMember(audience: string): boolean;
}

export type RuleTest = (facts: ProfileFacts) => boolean;

/** What a rule depends on, so that only changes to these re-evaluate it. */
export interface RuleUses {
  traits: boolean;
  consent: boolean;
  /** Condition signature → the windows it is used with (days; 0 for ever). */
  conditions: Map<string, Set<number>>;
  /** Audience key → the JSON path of its first `in_audience`. */
  audiences: Map<string, string>;
  /** Purpose → the JSON path of the first consent condition naming it. */
  purposes: Map<string, string>;
  /** A trait test compares with a time relative to now (`-30d`): the answer changes as days pass. */
  timeDependent: boolean;
}

export interface CompiledRule {
  test: RuleTest;
  uses: RuleUses;
  conditions: Map<string, EventCondition>;
}

export interface RuleContext {
  /** Read at evaluation: how a purpose with no recorded decision counts. */
  privacy: () => PrivacyConfig;
  now: () => number;
}

const ajv = createSchemaValidator();
ajv.addSchema(CONDITION_SCHEMA);
ajv.addSchema(AUDIENCE_RULE_SCHEMA);
const validateRule = ajv.compile({ $ref: AUDIENCE_RULE_ID });

const RELATIVE_DATE = /^(now|[+-]\d)/;

/**
 * Checks a rule and compiles it once; `at` is its JSON path (`audiences[2].rule`), prefixed to every problem. A rule
 * with problems is in force nowhere: `compiled` is only there to check its references.
 */
export function compileAudienceRule(rule: unknown, at: string, context: RuleContext): { compiled?: CompiledRule; problems: string[] } {
  if (!validateRule(rule)) return { problems: describeRuleErrors(validateRule.errors ?? [], () => ({ rule, root: '' }), at).lines };
  const uses: RuleUses = { traits: false, consent: false, conditions: new Map(), audiences: new Map(), purposes: new Map(), timeDependent: false };
  const conditions = new Map<string, EventCondition>();
  const problems: string[] = [];
  const test = build(rule as AudienceRule, at, 1, { context, uses, conditions, problems });
  // Compiled even with problems, so that the references it makes are checked too; never put in force then.
  return { compiled: { test, uses, conditions }, problems };
}

interface Build {
  context: RuleContext;
  uses: RuleUses;
  conditions: Map<string, EventCondition>;
  problems: string[];
}

const never: RuleTest = () => false;

function build(rule: AudienceRule, at: string, depth: number, b: Build): RuleTest {
  if (depth > MAX_DEPTH) {
    b.problems.push(`${at}: rules nest more than ${MAX_DEPTH} deep; flatten them with all: or any:`);
    return never;
  }
  if ('all' in rule) {
    const tests = rule.all.map((r, i) => build(r, `${at}.all[${i}]`, depth + 1, b));
    return (facts) => tests.every((test) => test(facts));
  }
  if ('any' in rule) {
    const tests = rule.any.map((r, i) => build(r, `${at}.any[${i}]`, depth + 1, b));
    return (facts) => tests.some((test) => test(facts));
  }
  if ('not' in rule) {
    const test = build(rule.not, `${at}.not`, depth + 1, b);
    return (facts) => !test(facts);
  }
  if ('event' in rule) return buildEventCondition(rule, at, b);
  if ('consent' in rule) return buildConsentCondition(rule.consent, `${at}.consent`, b);
  if ('in_audience' in rule) {
    const key = rule.in_audience;
    if (!b.uses.audiences.has(key)) b.uses.audiences.set(key, `${at}.in_audience`);
    return (facts) => facts.isMember(key);
  }
  return buildTraitTest(rule, at, b);
}

function buildTraitTest(rule: { field: string } & Record<string, unknown>, at: string, b: Build): RuleTest {
  if (!rule.field.startsWith('traits.') || rule.field === 'traits.') {
    b.problems.push(
      `${at}.field: a trait test reads the profile: write traits.<name>, e.g. field: traits.plan (events are tested in an event condition's where)`,
    );
    return never;
  }
  const test = compileOrCollect(rule, at, b);
  b.uses.traits = true;
  if ([rule.before, rule.after].some((operand) => typeof operand === 'string' && RELATIVE_DATE.test(operand))) b.uses.timeDependent = true;
  return (facts) => test({ traits: facts.traits() });
}

function buildEventCondition(rule: EventConditionRule, at: string, b: Build): RuleTest {
  const aggregate = rule.aggregate ?? 'count';
  const comparisons = COMPARATORS.filter((c) => rule[c] !== undefined).map((c) => comparison(c, rule[c]!));
  if (comparisons.length === 0) {
    b.problems.push(`${at}: compares nothing; add one of ${COMPARATORS.join(', ')} (gte: 1 means "at least once")`);
  }
  if (aggregate !== 'count' && rule.of === undefined) {
    b.problems.push(`${at}.of: is required for aggregate: ${aggregate}; write the dot path of a number in the event, e.g. of: properties.total`);
  }
  if (aggregate === 'count' && rule.of !== undefined) b.problems.push(`${at}.of: a count reads no number; remove of, or use aggregate: sum, min or max`);
  if (rule.of !== undefined && rule.of.split('.').some((segment) => segment === '')) {
    b.problems.push(`${at}.of: "${rule.of}" has an empty segment; write a dot path like properties.total`);
  }
  const matches = rule.where === undefined ? undefined : compileOrCollect(rule.where, `${at}.where`, b);
  const signature = canonicalJson({ event: rule.event, where: rule.where ?? null, of: aggregate === 'count' ? null : (rule.of ?? null) });
  if (!b.conditions.has(signature)) {
    const read = aggregate === 'count' || rule.of === undefined ? undefined : compileFieldPath(rule.of);
    b.conditions.set(signature, {
      signature,
      event: rule.event,
      ...(matches ? { matches } : {}),
      ...(read ? { value: (event: CanonicalEvent) => numberOf(read(event)) } : {}),
    });
  }
  const within = rule.within_days === undefined || rule.within_days === 'ever' ? undefined : rule.within_days;
  const windows = b.uses.conditions.get(signature) ?? new Set<number>();
  windows.add(within ?? 0);
  b.uses.conditions.set(signature, windows);
  const pick = (stats: DayStats): number | undefined =>
    aggregate === 'count' ? stats.count : aggregate === 'sum' ? stats.sum : aggregate === 'min' ? stats.min : stats.max;
  return (facts) => {
    const value = pick(facts.aggregate(signature, within));
    return value !== undefined && comparisons.every((compare) => compare(value));
  };
}

function buildConsentCondition(consent: { purpose?: string; granted?: boolean; sale_opt_out?: boolean }, at: string, b: Build): RuleTest {
  b.uses.consent = true;
  if ((consent.purpose === undefined) === (consent.sale_opt_out === undefined)) {
    b.problems.push(`${at}: name either a purpose (purpose: marketing, granted: true) or the CCPA opt-out (sale_opt_out: true)`);
    return never;
  }
  if (consent.sale_opt_out !== undefined) {
    if (consent.granted !== undefined) b.problems.push(`${at}.granted: goes with purpose; sale_opt_out: true|false says it alone`);
    const wanted = consent.sale_opt_out;
    return (facts) => isSaleOptedOut(facts.consent(), b.context.privacy()) === wanted;
  }
  const purpose = consent.purpose!;
  // Checked against privacy.purposes with the whole set (audience-set.ts), which knows the config in force.
  if (!b.uses.purposes.has(purpose)) b.uses.purposes.set(purpose, `${at}.purpose`);
  const wanted = consent.granted ?? true;
  return (facts) => isPurposeConsented(facts.consent(), purpose, b.context.privacy()) === wanted;
}

function compileOrCollect(condition: unknown, at: string, b: Build): ConditionTest {
  try {
    return compileCondition(condition, { at, now: b.context.now });
  } catch (error) {
    if (error instanceof ConditionError) b.problems.push(...error.problems);
    else throw error;
    return () => false;
  }
}

function comparison(comparator: (typeof COMPARATORS)[number], bound: number): (value: number) => boolean {
  switch (comparator) {
    case 'gte':
      return (v) => v >= bound;
    case 'gt':
      return (v) => v > bound;
    case 'lte':
      return (v) => v <= bound;
    case 'lt':
      return (v) => v < bound;
    case 'equals':
      return (v) => v === bound;
  }
}

const NUMERIC = /^\s*-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/;

/** Sources send amounts as numbers or, as mParticle's attributes are, as strings holding one. */
function numberOf(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && NUMERIC.test(value)) return Number(value);
  return undefined;
}

/** JSON with object keys sorted, so two spellings of one condition share its counters. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}
