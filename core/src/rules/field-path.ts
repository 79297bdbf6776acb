/** Reads one field of a JSON document. */
export type FieldReader = (document: unknown) => unknown;

/** Why a dot path cannot be used, or undefined. */
export function fieldPathProblem(path: string): string | undefined {
  if (path.split('.').some((segment) => segment === '')) return `"${path}" has an empty segment; write a dot path like properties.total`;
  return undefined;
}

/**
 * A reader of the dot path `properties.total` (array items by index: `products.0.sku`). Only own properties are
 * read, so `__proto__` or `constructor` in a path read nothing rather than Object.prototype.
 */
export function compileFieldPath(path: string): FieldReader {
  const segments = path.split('.');
  if (segments.length === 1) {
    const [key] = segments as [string];
    return (document) => (isContainer(document) && Object.hasOwn(document, key) ? (document as Record<string, unknown>)[key] : undefined);
  }
  return (document) => {
    let value: unknown = document;
    for (const key of segments) {
      if (!isContainer(value) || !Object.hasOwn(value, key)) return undefined;
      value = (value as Record<string, unknown>)[key];
    }
    return value;
  };
}

function isContainer(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}
