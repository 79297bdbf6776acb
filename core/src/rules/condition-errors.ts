import type { ErrorObject } from 'ajv';
import { OPERAND_HINTS, OPERATORS, type Operator } from './condition-schema.js';

/** Raised by compileCondition: every problem of a condition, each naming its JSON path. */
export class ConditionError extends Error {
  readonly code = 'CONDITION_INVALID';
  constructor(readonly problems: string[]) {
    super(`invalid condition:\n  - ${problems.join('\n  - ')}`);
  }
}

export const CONDITION_SHAPES = '{ field: <dot path>, <operator>: <value> }, { all: [...] }, { any: [...] } or { not: {...} }';

/** `a/0/b` → `a[0].b`, rooted at `prefix`. */
export function jsonPath(prefix: string, instancePath: string): string {
  const path = instancePath.replace(/\/(\d+)(?=\/|$)/g, '[$1]').replace(/\//g, '.');
  return prefix ? `${prefix}${path}` : path.replace(/^\./, '');
}

/**
 * Whether an ajv error was raised inside a condition, so describeConditionError words it. ajv gives an error
 * inside a referenced schema its path in that schema, and the condition schema's paths start with its top-level
 * if/then/else, which a schema that refers to conditions (the config's: properties at the top) never has.
 */
export function isConditionError(error: ErrorObject): boolean {
  return /^(?:[^#]*)#\/(?:if|then|else)(?:\/|$)/.test(error.schemaPath);
}

/**
 * One line for an ajv error inside a condition, saying what was expected there: `….all[1].gt: expected a
 * number, e.g. gt: 18`. `prefix` is the path of the instance ajv validated (empty for the config root).
 */
export function describeConditionError(error: ErrorObject, prefix = ''): string {
  const at = jsonPath(prefix, error.instancePath);
  const segments = error.instancePath.split('/');
  const key = segments[segments.length - 1] ?? '';
  const parent = segments[segments.length - 2] ?? '';
  const inFieldTest = error.schemaPath.includes('#/else/else/else/');
  if (error.keyword === 'required') {
    const missing = (error.params as { missingProperty: string }).missingProperty;
    return `${at ? `${at}.` : ''}${missing}: is required; a condition is ${CONDITION_SHAPES}`;
  }
  if (error.keyword === 'additionalProperties') {
    const extra = (error.params as { additionalProperty: string }).additionalProperty;
    return inFieldTest
      ? `${at}: unknown operator "${extra}"; use one of ${OPERATORS.join(', ')}`
      : `${at}: "${extra}" cannot stand next to ${combinatorOf(error)}; put it in a condition of its own inside all: or any:`;
  }
  if (isOperator(key)) return `${at}: expected ${OPERAND_HINTS[key]}`;
  if (/^\d+$/.test(key) && (parent === 'in' || parent === 'not_in')) return `${at}: expected a string, number, true/false or null`;
  if (key === 'field') return `${at}: expected the dot path of a field, e.g. field: properties.total (at most 256 characters)`;
  if (key === 'all' || key === 'any') {
    return error.keyword === 'minItems'
      ? `${at}: needs at least one condition`
      : `${at}: expected a list of conditions, e.g. ${key}: [{ field: event, equals: Signed Up }]`;
  }
  if (error.keyword === 'type') return `${at || '(root)'}: expected a condition: ${CONDITION_SHAPES}`;
  return `${at || '(root)'}: ${error.message ?? 'is invalid'}`;
}

function isOperator(key: string): key is Operator {
  return (OPERATORS as string[]).includes(key);
}

function combinatorOf(error: ErrorObject): string {
  if (error.schemaPath.includes('#/then/')) return '"all"';
  if (error.schemaPath.includes('#/else/then/')) return '"any"';
  return '"not"';
}
