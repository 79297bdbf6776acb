/** The column types every Switchyard warehouse writes; each connector maps them to its own SQL types. */
export type WarehouseType = 'boolean' | 'bigint' | 'double' | 'timestamp' | 'text' | 'json';

export const WAREHOUSE_TYPES: readonly WarehouseType[] = ['boolean', 'bigint', 'double', 'timestamp', 'text', 'json'];

// A date and a time, optionally with seconds, fraction and offset. Dates alone stay text: "2024-01-01"
// is as often a label (a plan name, a cohort) as a point in time.
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/** The ISO-8601 UTC form of a date-time string, or undefined when the string is not one. */
export function asTimestamp(value: unknown): string | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.toISOString();
  if (typeof value !== 'string' || !ISO_DATE_TIME.test(value)) return undefined;
  const hasOffset = /(?:Z|[+-]\d{2}(?::?\d{2})?)$/i.test(value.slice(10));
  const millis = Date.parse(hasOffset ? value : `${value.replace(' ', 'T')}Z`);
  return Number.isNaN(millis) ? undefined : new Date(millis).toISOString();
}

/** The column type a new column gets for this value; undefined for null (no column is made for it). */
export function inferType(value: unknown): WarehouseType | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'bigint') return 'bigint';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return undefined;
    return Number.isSafeInteger(value) ? 'bigint' : 'double';
  }
  if (typeof value === 'string') return asTimestamp(value) === undefined ? 'text' : 'timestamp';
  if (value instanceof Date) return 'timestamp';
  return 'json';
}

/** The type a new column gets when one batch brings values of two types for it; undefined when they clash. */
export function widenType(a: WarehouseType, b: WarehouseType): WarehouseType | undefined {
  if (a === b) return a;
  const pair = new Set([a, b]);
  if (pair.has('bigint') && pair.has('double')) return 'double';
  if (pair.has('timestamp') && pair.has('text')) return 'text';
  return undefined;
}

export type Fit = { fits: true; value: unknown } | { fits: false; valueType: string };

/**
 * Whether a value can go into an existing column of this type, and in which form. Columns are never retyped:
 * a value that does not fit is discarded (kept in the `discards` table) instead.
 */
export function fitValue(column: WarehouseType, value: unknown): Fit {
  const valueType = inferType(value) ?? 'null';
  switch (column) {
    case 'boolean':
      return typeof value === 'boolean' ? { fits: true, value } : { fits: false, valueType };
    case 'bigint':
      if (typeof value === 'bigint') return { fits: true, value: value.toString() };
      return typeof value === 'number' && Number.isSafeInteger(value) ? { fits: true, value } : { fits: false, valueType };
    case 'double':
      return typeof value === 'number' && Number.isFinite(value) ? { fits: true, value } : { fits: false, valueType };
    case 'timestamp': {
      const timestamp = asTimestamp(value);
      return timestamp === undefined ? { fits: false, valueType } : { fits: true, value: timestamp };
    }
    case 'text':
      // Text holds anything without loss, as Segment's and RudderStack's loaders do.
      if (typeof value === 'string') return { fits: true, value };
      if (value instanceof Date) return { fits: true, value: value.toISOString() };
      return { fits: true, value: typeof value === 'object' ? JSON.stringify(value) : String(value) };
    case 'json':
      return { fits: true, value: JSON.stringify(value) };
  }
}

/** How a value is written into the `discards` table's text column. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof Date) return value.toISOString();
  return typeof value === 'bigint' ? value.toString() : (JSON.stringify(value) ?? String(value));
}
