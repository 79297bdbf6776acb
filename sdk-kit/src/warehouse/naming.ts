import { createHash } from 'node:crypto';

/** PostgreSQL's identifier limit, the smallest of the warehouses we write to. */
export const MAX_IDENTIFIER_LENGTH = 63;

/** `firstName` → `first_name`, `Order Completed` → `order_completed`, `utm-source` → `utm_source`. */
export function toSnakeCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/_+/g, '_')
    .replace(/^_+|_+$/g, '');
}

/**
 * A column or table name every warehouse accepts unquoted: snake_case ASCII, not starting with a digit,
 * at most 63 characters. Long names keep a hash of the original so two long names stay distinct.
 */
export function toIdentifier(name: string, fallback = 'unnamed'): string {
  let id = toSnakeCase(name) || fallback;
  if (/^[0-9]/.test(id)) id = `_${id}`;
  if (id.length <= MAX_IDENTIFIER_LENGTH) return id;
  const hash = createHash('sha1').update(name).digest('hex').slice(0, 8);
  return `${id.slice(0, MAX_IDENTIFIER_LENGTH - 9)}_${hash}`;
}
