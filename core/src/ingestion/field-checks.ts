import type { Problem } from './ingestion-error.js';

/** Small shape checks shared by the source parsers; each pushes a located problem and returns the value if usable. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function optionalObject(value: unknown, path: string, problems: Problem[]): Record<string, unknown> | undefined {
  if (value === undefined || value === null) return undefined;
  if (isPlainObject(value)) return value;
  problems.push({ path, message: `must be an object, got ${describeType(value)}` });
  return undefined;
}

/** Ids may arrive as numbers (mParticle mpid, some Segment clients); they are kept as strings. */
export function optionalId(value: unknown, path: string, problems: Problem[]): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string') return value.length > 1024 ? tooLong(path, problems) : value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'bigint') return value.toString();
  problems.push({ path, message: `must be a string or a number, got ${describeType(value)}` });
  return undefined;
}

export function optionalString(value: unknown, path: string, problems: Problem[]): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  problems.push({ path, message: `must be a string, got ${describeType(value)}` });
  return undefined;
}

/** ISO-8601 date strings (Segment); returns the normalised ISO form. */
export function optionalDate(value: unknown, path: string, problems: Problem[]): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const millis = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(millis)) {
    problems.push({ path, message: `must be an ISO-8601 date such as 2026-01-31T12:00:00.000Z, got ${JSON.stringify(value).slice(0, 60)}` });
    return undefined;
  }
  return new Date(millis).toISOString();
}

/** Unix milliseconds (mParticle), as a number or a numeric string; returns ISO. */
export function optionalUnixMillis(value: unknown, path: string, problems: Problem[]): string | undefined {
  if (value === undefined || value === null) return undefined;
  const millis = typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isFinite(millis) || millis < 0 || millis > 8.64e15) {
    problems.push({ path, message: `must be Unix time in milliseconds, got ${JSON.stringify(value).slice(0, 60)}` });
    return undefined;
  }
  return new Date(millis).toISOString();
}

export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value).slice(0, 40)}`;
}

function tooLong(path: string, problems: Problem[]): undefined {
  problems.push({ path, message: 'is longer than 1024 characters' });
  return undefined;
}
