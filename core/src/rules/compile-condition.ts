import { createSchemaValidator } from '@switchyard/sdk-kit';
import { instantOf, parseDateOperand, type DateOperand } from './condition-dates.js';
import { ConditionError, describeConditionError } from './condition-errors.js';
import { CONDITION_SCHEMA, OPERATORS, OPERAND_HINTS, type Condition, type FieldTest, type Operator } from './condition-schema.js';
import { compileFieldPath, fieldPathProblem, type FieldReader } from './field-path.js';
import { patternProblem } from './safe-pattern.js';

/** A compiled condition: true when the document (an event, a profile's traits) matches. */
export type ConditionTest = (document: unknown) => boolean;

export interface CompileOptions {
  /** JSON path of the condition, prefixed to every problem (`connections[2].filters[0].drop`). */
  at?: string;
  /** The clock relative dates (`-30d`) are measured from at each evaluation. */
  now?: () => number;
}

/** Deeper nesting is refused: it is never needed, and it bounds the compiler's and the predicate's recursion. */
export const MAX_DEPTH = 32;

const validateStructure = createSchemaValidator().compile(CONDITION_SCHEMA);

/** Every problem of a condition, each naming its JSON path and what to write instead; empty when it compiles. */
export function checkCondition(input: unknown, at = ''): string[] {
  if (!validateStructure(input)) {
    const errors = (validateStructure.errors ?? []).filter((e) => e.keyword !== 'if');
    return [...new Set(errors.map((e) => describeConditionError(e, at)))];
  }
  const problems: string[] = [];
  checkMeaning(input as Condition, at, 1, problems);
  return problems;
}

/** Checks a condition once and returns its predicate; throws ConditionError listing every problem. */
export function compileCondition(input: unknown, options: CompileOptions = {}): ConditionTest {
  const problems = checkCondition(input, options.at);
  if (problems.length) throw new ConditionError(problems);
  return build(input as Condition, options.now ?? Date.now);
}

/** The dot paths a condition reads, e.g. to know which changes can alter its answer. */
export function conditionFields(condition: Condition): string[] {
  if ('all' in condition) return [...new Set(condition.all.flatMap(conditionFields))];
  if ('any' in condition) return [...new Set(condition.any.flatMap(conditionFields))];
  if ('not' in condition) return conditionFields(condition.not);
  return [condition.field];
}

/** What the schema cannot say: one operator per test, readable paths, dates and safe patterns. */
function checkMeaning(condition: Condition, at: string, depth: number, problems: string[]): void {
  if (depth > MAX_DEPTH) {
    problems.push(`${at || '(root)'}: conditions nest more than ${MAX_DEPTH} deep; flatten them with all: or any:`);
    return;
  }
  const child = (key: string) => (at ? `${at}.${key}` : key);
  if ('all' in condition || 'any' in condition) {
    const [key, list] = 'all' in condition ? ['all', condition.all] : ['any', condition.any];
    list.forEach((c, i) => checkMeaning(c, `${child(key)}[${i}]`, depth + 1, problems));
    return;
  }
  if ('not' in condition) {
    checkMeaning(condition.not, child('not'), depth + 1, problems);
    return;
  }
  const operators = operatorsOf(condition);
  if (operators.length === 0) problems.push(`${at || '(root)'}: tests field "${condition.field}" with no operator; add one of ${OPERATORS.join(', ')}`);
  if (operators.length > 1) {
    problems.push(`${at || '(root)'}: has ${operators.length} operators (${operators.join(', ')}); write each as its own condition inside all: [...]`);
  }
  const pathProblem = fieldPathProblem(condition.field);
  if (pathProblem) problems.push(`${child('field')}: ${pathProblem}`);
  for (const op of ['before', 'after'] as const) {
    if (condition[op] !== undefined && !parseDateOperand(condition[op]))
      problems.push(`${child(op)}: "${condition[op]}" is not a date; expected ${OPERAND_HINTS[op]}`);
  }
  if (condition.matches !== undefined) {
    const problem = patternProblem(condition.matches);
    if (problem) problems.push(`${child('matches')}: ${problem}`);
  }
}

function operatorsOf(test: FieldTest): Operator[] {
  return OPERATORS.filter((op) => test[op] !== undefined);
}

function build(condition: Condition, now: () => number): ConditionTest {
  if ('all' in condition) {
    const tests = condition.all.map((c) => build(c, now));
    return (document) => {
      for (const test of tests) if (!test(document)) return false;
      return true;
    };
  }
  if ('any' in condition) {
    const tests = condition.any.map((c) => build(c, now));
    return (document) => {
      for (const test of tests) if (test(document)) return true;
      return false;
    };
  }
  if ('not' in condition) {
    const test = build(condition.not, now);
    return (document) => !test(document);
  }
  const read = compileFieldPath(condition.field);
  const [op] = operatorsOf(condition) as [Operator];
  return buildFieldTest(read, op, condition[op] as never, now);
}

type Scalar = string | number | boolean | null;

function buildFieldTest(read: FieldReader, op: Operator, operand: never, now: () => number): ConditionTest {
  switch (op) {
    case 'equals':
      return (d) => read(d) === (operand as Scalar);
    case 'not_equals':
      return (d) => read(d) !== (operand as Scalar);
    case 'in': {
      const members = new Set<unknown>(operand as Scalar[]);
      return (d) => members.has(read(d));
    }
    case 'not_in': {
      const members = new Set<unknown>(operand as Scalar[]);
      return (d) => !members.has(read(d));
    }
    case 'contains': {
      const wanted = operand as string | number | boolean;
      return (d) => {
        const value = read(d);
        if (typeof value === 'string') return typeof wanted === 'string' && value.includes(wanted);
        return Array.isArray(value) && value.includes(wanted);
      };
    }
    case 'starts_with': {
      const prefix = operand as string;
      return (d) => {
        const value = read(d);
        return typeof value === 'string' && value.startsWith(prefix);
      };
    }
    case 'exists':
      return operand ? (d) => read(d) != null : (d) => read(d) == null;
    case 'gt':
      return numeric(read, (v) => v > (operand as number));
    case 'gte':
      return numeric(read, (v) => v >= (operand as number));
    case 'lt':
      return numeric(read, (v) => v < (operand as number));
    case 'lte':
      return numeric(read, (v) => v <= (operand as number));
    case 'before':
      return dated(read, parseDateOperand(operand as string)!, now, (value, bound) => value < bound);
    case 'after':
      return dated(read, parseDateOperand(operand as string)!, now, (value, bound) => value > bound);
    case 'matches': {
      const pattern = new RegExp(operand as string);
      return (d) => {
        const value = read(d);
        return typeof value === 'string' && pattern.test(value);
      };
    }
  }
}

function numeric(read: FieldReader, compare: (value: number) => boolean): ConditionTest {
  return (d) => {
    const value = read(d);
    return typeof value === 'number' && compare(value);
  };
}

function dated(read: FieldReader, operand: DateOperand, now: () => number, compare: (value: number, bound: number) => boolean): ConditionTest {
  const bound = 'at' in operand ? () => operand.at : () => now() + operand.offsetMs;
  return (d) => {
    const value = instantOf(read(d));
    return value !== undefined && compare(value, bound());
  };
}
