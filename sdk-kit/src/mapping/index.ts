import { directives, type Mapping } from './directives.js';

export type { Mapping } from './directives.js';
export { readPath } from './path.js';
export { EVENT_NAME_MAPPING, traitMapping, traitOrPropertyMapping } from './common-mappings.js';

function directiveOf(mapping: Mapping): [string, unknown] | undefined {
  if (typeof mapping !== 'object' || mapping === null || Array.isArray(mapping)) return undefined;
  const keys = Object.keys(mapping);
  if (keys.length === 1 && keys[0]!.startsWith('@')) return [keys[0]!, (mapping as Record<string, unknown>)[keys[0]!]];
  return undefined;
}

/** Evaluates a mapping against a root value (a canonical event). Keys whose value maps to undefined are left out. */
export function evaluateMapping(mapping: Mapping, root: unknown): unknown {
  const directive = directiveOf(mapping);
  if (directive) {
    const [name, arg] = directive;
    const implementation = directives[name];
    if (!implementation) throw new Error(`unknown mapping directive "${name}"`);
    return implementation.evaluate(arg, root, evaluateMapping);
  }
  if (Array.isArray(mapping)) return mapping.map((item) => evaluateMapping(item, root));
  if (typeof mapping === 'object' && mapping !== null) {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(mapping)) {
      const mapped = evaluateMapping(value, root);
      if (mapped !== undefined) out[key] = mapped;
    }
    return out;
  }
  return mapping;
}

/** Lists every problem in a mapping, each prefixed with its path inside the mapping (`$.email.@hash.normalize`). */
export function validateMapping(mapping: Mapping, at = '$'): string[] {
  const directive = directiveOf(mapping);
  if (directive) {
    const [name, arg] = directive;
    const implementation = directives[name];
    if (!implementation) {
      return [`${at}: unknown directive "${name}" (known: ${Object.keys(directives).join(', ')})`];
    }
    const here = `${at}.${name}`;
    return implementation
      .validate(arg, (child, rel) => validateMapping(child, `${here}${rel}`))
      .map((problem) =>
        problem.startsWith(here) ? problem : problem.startsWith('.') || problem.startsWith('[') ? `${here}${problem}` : `${here}: ${problem}`,
      );
  }
  if (Array.isArray(mapping)) return mapping.flatMap((item, i) => validateMapping(item, `${at}[${i}]`));
  if (typeof mapping === 'object' && mapping !== null) {
    return Object.entries(mapping).flatMap(([key, value]) => validateMapping(value, `${at}.${key}`));
  }
  return [];
}

/** Operator overrides replace a connector's default mapping field by field. */
export function mergeMappings(defaults: Record<string, Mapping>, overrides: Record<string, Mapping> | undefined): Record<string, Mapping> {
  return { ...defaults, ...(overrides ?? {}) };
}
