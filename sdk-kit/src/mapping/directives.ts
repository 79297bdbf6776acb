import { NORMALIZE_KINDS, normalizeAndHash, normalize, type NormalizeKind } from '../identifiers/index.js';
import { isValidPath, readPath } from './path.js';

/**
 * A mapping is JSON: plain values are literals, objects and arrays are mapped member by member, and an
 * object with exactly one key starting with `@` is a directive. docs/mapping.md documents each one.
 */
export type Mapping = unknown;

export type Evaluate = (mapping: Mapping, root: unknown) => unknown;

export interface Directive {
  /** Returns problems with the directive's argument, each with a path relative to the directive. */
  validate(arg: unknown, validateChild: (mapping: Mapping, at: string) => string[]): string[];
  // Each directive checks its own argument's shape.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  evaluate(arg: any, root: unknown, evaluate: Evaluate): unknown;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isEmpty = (v: unknown) => v === undefined || v === null || v === '';
const asText = (v: unknown) => (v === undefined || v === null ? undefined : String(v));

function requireKeys(arg: unknown, keys: string[], optional: string[] = []): string[] {
  if (!isObject(arg)) return [`must be an object with ${keys.map((k) => `"${k}"`).join(', ')}`];
  const problems = keys.filter((k) => !(k in arg)).map((k) => `.${k}: is required`);
  const allowed = new Set([...keys, ...optional]);
  problems.push(
    ...Object.keys(arg)
      .filter((k) => !allowed.has(k))
      .map((k) => `.${k}: is not a known option`),
  );
  return problems;
}

const childProblems = (validate: (m: Mapping, at: string) => string[], arg: Record<string, unknown>, keys: string[]) =>
  keys.filter((k) => k in arg).flatMap((k) => validate(arg[k], `.${k}`));

export const directives: Record<string, Directive> = {
  '@path': {
    validate: (arg) => (isValidPath(arg) ? [] : ['must be a path such as "$.properties.price"']),
    evaluate: (arg: string, root) => readPath(root, arg),
  },
  '@literal': {
    validate: () => [],
    evaluate: (arg) => arg,
  },
  '@template': {
    validate: (arg) => (typeof arg === 'string' ? [] : ['must be a string such as "{{traits.first_name}} {{traits.last_name}}"']),
    evaluate: (arg: string, root) => arg.replace(/\{\{\s*([^}\s]+)\s*\}\}/g, (_m, path: string) => asText(readPath(root, path)) ?? ''),
  },
  '@if': {
    validate: (arg, validate) => {
      const problems = requireKeys(arg, ['then'], ['exists', 'equals', 'value', 'else']);
      if (problems.length) return problems;
      const a = arg as Record<string, unknown>;
      if (!('exists' in a) && !('equals' in a)) return ['needs "exists" (a mapping) or "value" with "equals"'];
      if ('equals' in a && !('value' in a)) return ['.value: is required with "equals"'];
      return childProblems(validate, a, ['exists', 'value', 'equals', 'then', 'else']);
    },
    evaluate: (arg, root, evaluate) => {
      const holds = 'exists' in arg ? !isEmpty(evaluate(arg.exists, root)) : evaluate(arg.value, root) === evaluate(arg.equals, root);
      if (holds) return evaluate(arg.then, root);
      return 'else' in arg ? evaluate(arg.else, root) : undefined;
    },
  },
  '@firstOf': {
    validate: (arg, validate) =>
      Array.isArray(arg) && arg.length > 0 ? arg.flatMap((m, i) => validate(m, `[${i}]`)) : ['must be a non-empty array of mappings'],
    evaluate: (arg: Mapping[], root, evaluate) => {
      for (const candidate of arg) {
        const value = evaluate(candidate, root);
        if (!isEmpty(value)) return value;
      }
      return undefined;
    },
  },
  '@case': {
    validate: (arg, validate) => {
      const problems = requireKeys(arg, ['value', 'to']);
      if (problems.length) return problems;
      const to = (arg as Record<string, unknown>).to;
      if (to !== 'upper' && to !== 'lower') return ['.to: must be "upper" or "lower"'];
      return childProblems(validate, arg as Record<string, unknown>, ['value']);
    },
    evaluate: (arg, root, evaluate) => {
      const text = asText(evaluate(arg.value, root));
      if (text === undefined) return undefined;
      return arg.to === 'upper' ? text.toUpperCase() : text.toLowerCase();
    },
  },
  '@trim': {
    validate: (arg, validate) => validate(arg, ''),
    evaluate: (arg, root, evaluate) => asText(evaluate(arg, root))?.trim(),
  },
  '@replace': {
    validate: (arg, validate) => {
      const problems = requireKeys(arg, ['value', 'pattern', 'replacement'], ['all']);
      if (problems.length) return problems;
      const a = arg as Record<string, unknown>;
      if (typeof a.pattern !== 'string') return ['.pattern: must be a string'];
      if (typeof a.replacement !== 'string') return ['.replacement: must be a string'];
      return childProblems(validate, a, ['value']);
    },
    evaluate: (arg, root, evaluate) => {
      const text = asText(evaluate(arg.value, root));
      if (text === undefined) return undefined;
      return arg.all === false ? text.replace(arg.pattern, arg.replacement) : text.split(arg.pattern).join(arg.replacement);
    },
  },
  '@arrayPath': {
    validate: (arg, validate) => {
      if (!Array.isArray(arg) || arg.length < 1 || arg.length > 2 || !isValidPath(arg[0])) {
        return ['must be ["<path to an array>", <mapping applied to each item>]'];
      }
      return arg.length === 2 ? validate(arg[1], '[1]') : [];
    },
    evaluate: (arg: [string, Mapping?], root, evaluate) => {
      const items = readPath(root, arg[0]);
      if (!Array.isArray(items)) return undefined;
      return arg.length === 2 ? items.map((item) => evaluate(arg[1], item)) : items;
    },
  },
  '@merge': {
    validate: (arg, validate) =>
      Array.isArray(arg) && arg.length > 0 ? arg.flatMap((m, i) => validate(m, `[${i}]`)) : ['must be a non-empty array of mappings that produce objects'],
    evaluate: (arg: Mapping[], root, evaluate) => Object.assign({}, ...arg.map((m) => evaluate(m, root)).filter(isObject)),
  },
  '@hash': {
    validate: (arg, validate) => {
      const problems = requireKeys(arg, ['value'], ['normalize']);
      if (problems.length) return problems;
      const kind = (arg as Record<string, unknown>).normalize;
      if (kind !== undefined && !(NORMALIZE_KINDS as readonly string[]).includes(String(kind))) {
        return [`.normalize: must be one of ${NORMALIZE_KINDS.join(', ')}`];
      }
      return childProblems(validate, arg as Record<string, unknown>, ['value']);
    },
    evaluate: (arg, root, evaluate) => {
      const text = asText(evaluate(arg.value, root));
      if (text === undefined || text.trim() === '') return undefined;
      return normalizeAndHash(text, (arg.normalize ?? 'none') as NormalizeKind);
    },
  },
  '@normalize': {
    validate: (arg, validate) => {
      const problems = requireKeys(arg, ['value', 'as']);
      if (problems.length) return problems;
      if (!(NORMALIZE_KINDS as readonly string[]).includes(String((arg as Record<string, unknown>).as)))
        return [`.as: must be one of ${NORMALIZE_KINDS.join(', ')}`];
      return childProblems(validate, arg as Record<string, unknown>, ['value']);
    },
    evaluate: (arg, root, evaluate) => {
      const text = asText(evaluate(arg.value, root));
      return text === undefined ? undefined : normalize(text, arg.as as NormalizeKind);
    },
  },
};
