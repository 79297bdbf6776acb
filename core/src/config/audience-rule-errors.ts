import type { ErrorObject } from 'ajv';
import { describeConditionError } from '../rules/index.js';
import { AGGREGATES, COMPARATORS, MAX_WINDOW_DAYS, RULE_SHAPES } from './schema/audiences.js';

const RULE_SHAPE_LIST = `${RULE_SHAPES.join(', ')}, or a trait test { field: traits.<name>, <operator>: value }`;

const HINTS: Record<string, string> = {
  event: 'the name of a track event, e.g. event: Order Completed',
  aggregate: `one of ${AGGREGATES.join(', ')}`,
  of: 'the dot path of a number in the event, e.g. of: properties.total',
  within_days: `a number of days from 1 to ${MAX_WINDOW_DAYS}, or ever`,
  in_audience: 'the key of another audience (lower-case letters, digits, _ and -)',
  purpose: 'a purpose id of privacy.purposes, e.g. purpose: marketing',
  granted: 'true or false',
  sale_opt_out: 'true or false',
  consent: 'an object: { purpose: <id>, granted?: true|false } or { sale_opt_out: true|false }',
  ...Object.fromEntries(COMPARATORS.map((c) => [c, `a number, e.g. ${c}: 2`])),
};

/** Where an ajv error's rule is: the rule's value and the instance path of its root. */
export type RuleLocator = (instancePath: string) => { rule: unknown; root: string } | undefined;

/**
 * One line per mistake in audience rules, rooted at `prefix`: `audiences[0].rule.all[1].gte: expected a number, e.g.
 * gte: 2`. Mistakes inside a condition of the shared language (a trait test, an event's `where`) are worded by it; a
 * node that is no rule at all is reported once, listing the shapes. Errors `locate` places in no rule are returned
 * in `rest`, for the caller to word.
 */
export function describeRuleErrors(errors: readonly ErrorObject[], locate: RuleLocator, prefix = ''): { lines: string[]; rest: ErrorObject[] } {
  const lines: string[] = [];
  const rest: ErrorObject[] = [];
  for (const error of errors) {
    if (error.keyword === 'if') continue;
    const located = locate(error.instancePath);
    if (!located) {
      rest.push(error);
      continue;
    }
    const { part, node } = partOf(located.rule, error.instancePath.slice(located.root.length));
    if (part === 'unshaped') lines.push(`${pathOf(prefix, located.root + node) || '(root)'}: not a rule; expected one of ${RULE_SHAPE_LIST}`);
    else if (part === 'condition') lines.push(describeConditionError(error, prefix));
    else lines.push(describeRuleError(error, pathOf(prefix, error.instancePath)));
  }
  return { lines: [...new Set(lines)], rest };
}

function describeRuleError(error: ErrorObject, at: string): string {
  const key = error.instancePath.split('/').pop() ?? '';
  if (error.keyword === 'additionalProperties') {
    const extra = (error.params as { additionalProperty: string }).additionalProperty;
    const hint = error.instancePath.endsWith('/consent') ? '; a consent condition has purpose and granted, or sale_opt_out' : '';
    return `${at || '(root)'}: unknown key "${extra}"${hint}`;
  }
  if (error.keyword === 'required') return `${at ? `${at}.` : ''}${(error.params as { missingProperty: string }).missingProperty}: is required`;
  if (key === 'all' || key === 'any') return error.keyword === 'minItems' ? `${at}: needs at least one rule` : `${at}: expected a list of rules`;
  if (HINTS[key]) return `${at}: expected ${HINTS[key]}`;
  if (error.keyword === 'type') return `${at || '(root)'}: expected a rule: one of ${RULE_SHAPE_LIST}`;
  return `${at || '(root)'}: ${error.message ?? 'is invalid'}`;
}

/**
 * What part of a rule an instance path (relative to the rule) is in: a rule node or its keys (`rule`), a condition of
 * the shared language (`condition`: inside a `where`, or a trait test), or an object with none of the shapes
 * (`unshaped`); `node` is the relative path of the rule node it is in.
 */
function partOf(rule: unknown, relative: string): { part: 'rule' | 'condition' | 'unshaped'; node: string } {
  const segments = relative.split('/').slice(1);
  let node = rule;
  let consumed = 0;
  while (consumed < segments.length && isObject(node)) {
    const key = segments[consumed]!;
    if ((key === 'all' || key === 'any') && Array.isArray(node[key]) && consumed + 1 < segments.length) {
      node = (node[key] as unknown[])[Number(segments[consumed + 1])];
      consumed += 2;
    } else if (key === 'not' && 'not' in node) {
      node = node.not;
      consumed += 1;
    } else if (key === 'where' && 'event' in node) {
      return { part: 'condition', node: '' };
    } else break;
  }
  const at = segments
    .slice(0, consumed)
    .map((s) => `/${s}`)
    .join('');
  if (!isObject(node) || RULE_SHAPES.some((shape) => shape in node)) return { part: 'rule', node: at };
  return { part: 'field' in node ? 'condition' : 'unshaped', node: at };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function pathOf(prefix: string, instancePath: string): string {
  const path = instancePath.replace(/\/(\d+)(?=\/|$)/g, '[$1]').replace(/\//g, '.');
  return prefix ? `${prefix}${path}` : path.replace(/^\./, '');
}
