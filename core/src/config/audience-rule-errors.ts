import type { ErrorObject } from 'ajv';
import { describeConditionError, isConditionError } from '../rules/index.js';
import { AGGREGATES, AUDIENCE_RULE_ID, COMPARATORS, MAX_WINDOW_DAYS, RULE_SHAPES } from './schema/audiences.js';

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
  all: 'a non-empty list of rules',
  any: 'a non-empty list of rules',
  ...Object.fromEntries(COMPARATORS.map((c) => [c, `a number, e.g. ${c}: 2`])),
};

/** Whether an ajv error belongs to an audience rule or a condition inside one, so describeRuleErrors words it. */
export function isRuleError(error: ErrorObject): boolean {
  return error.schemaPath.startsWith(AUDIENCE_RULE_ID) || isConditionError(error);
}

/** An instance path inside an event condition's `where`: a condition of the shared language, not an audience rule. */
const insideWhere = (instancePath: string) => /\/where(\/|$)/.test(instancePath);

/**
 * One line per mistake in audience rules (and the conditions inside them), rooted at `prefix`: `audiences[0].rule.all[1]
 * .gte: expected a number, e.g. gte: 2`. A node that matches no shape is reported once, listing the shapes.
 */
export function describeRuleErrors(errors: readonly ErrorObject[], prefix = ''): string[] {
  const unshaped = new Set(
    errors
      .filter(
        (e) => isConditionError(e) && e.keyword === 'required' && (e.params as { missingProperty: string }).missingProperty === 'field' && !insideWhere(e.instancePath),
      )
      .map((e) => e.instancePath),
  );
  const lines = errors
    .filter((error) => error.keyword !== 'if')
    .map((error) => {
    const at = pathOf(prefix, error.instancePath);
    if (unshaped.has(error.instancePath)) return `${at || '(root)'}: not a rule; expected one of ${RULE_SHAPE_LIST}`;
    if (isConditionError(error)) return describeConditionError(error, prefix);
    const key = error.instancePath.split('/').pop() ?? '';
    if (error.keyword === 'additionalProperties') {
      const extra = (error.params as { additionalProperty: string }).additionalProperty;
      return `${at || '(root)'}: unknown key "${extra}"${error.instancePath.endsWith('/consent') ? '; a consent condition has purpose and granted, or sale_opt_out' : ''}`;
    }
    if (error.keyword === 'required') return `${at ? `${at}.` : ''}${(error.params as { missingProperty: string }).missingProperty}: is required`;
    if (key === 'not' || /^\d+$/.test(key) || error.keyword === 'type' && !HINTS[key]) return `${at || '(root)'}: expected a rule: one of ${RULE_SHAPE_LIST}`;
    if (error.keyword === 'minItems') return `${at}: needs at least one rule`;
    if (HINTS[key]) return `${at}: expected ${HINTS[key]}`;
    return `${at || '(root)'}: ${error.message ?? 'is invalid'}`;
  });
  return [...new Set(lines)];
}

function pathOf(prefix: string, instancePath: string): string {
  const path = instancePath.replace(/\/(\d+)(?=\/|$)/g, '[$1]').replace(/\//g, '.');
  return prefix ? `${prefix}${path}` : path.replace(/^\./, '');
}
