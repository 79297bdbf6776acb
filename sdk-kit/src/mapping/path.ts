/** Reads `$.a.b[0].c` (or `a.b.0.c`) from a value; undefined when any step is missing. */
export function readPath(root: unknown, path: string): unknown {
  let current: unknown = root;
  for (const key of parsePath(path)) {
    if (current === null || current === undefined) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

export function parsePath(path: string): string[] {
  const trimmed = path.trim().replace(/^\$\.?/, '');
  if (trimmed === '') return [];
  return trimmed
    .replace(/\[(\d+)\]/g, '.$1')
    .replace(/\[['"]([^'"]+)['"]\]/g, '.$1')
    .split('.')
    .filter((part) => part !== '');
}

export function isValidPath(path: unknown): path is string {
  return typeof path === 'string' && /^(\$)?(\.?[^.[\]\s]+|\[\d+\]|\[['"][^'"]+['"]\])*$/.test(path.trim());
}
