import { INPUT_LIMITS } from '../http-input/input-limits.js';
import type { Problem } from '../http-input/request-error.js';

const { minMs, maxMs } = INPUT_LIMITS.timestamps;
const TIMESTAMP_RANGE = `between ${new Date(minMs).toISOString()} and ${new Date(maxMs).toISOString()}`;

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
  if (typeof value === 'string') return value.length > INPUT_LIMITS.maxIdLength ? tooLong(path, problems) : value;
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

/** ISO-8601 date strings (Segment) within the accepted range; returns the normalised ISO form. */
export function optionalDate(value: unknown, path: string, problems: Problem[]): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const millis = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(millis)) {
    problems.push({ path, message: `must be an ISO-8601 date such as 2026-01-31T12:00:00.000Z, got ${JSON.stringify(value).slice(0, 60)}` });
    return undefined;
  }
  return inRange(millis, value, path, problems);
}

/** Unix milliseconds (mParticle), as a number or a numeric string, within the accepted range; returns ISO. */
export function optionalUnixMillis(value: unknown, path: string, problems: Problem[]): string | undefined {
  if (value === undefined || value === null) return undefined;
  const millis = typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isFinite(millis)) {
    problems.push({ path, message: `must be Unix time in milliseconds, got ${JSON.stringify(value).slice(0, 60)}` });
    return undefined;
  }
  return inRange(millis, value, path, problems);
}

/** A computed time (clock-skew correction) moved into the accepted range instead of refused. */
export function clampedTimestamp(millis: number): string {
  return new Date(Math.min(maxMs, Math.max(minMs, millis))).toISOString();
}

function inRange(millis: number, value: unknown, path: string, problems: Problem[]): string | undefined {
  if (millis < minMs || millis > maxMs) {
    problems.push({ path, message: `must be ${TIMESTAMP_RANGE}, got ${JSON.stringify(value).slice(0, 60)}` });
    return undefined;
  }
  return new Date(millis).toISOString();
}

export function describeType(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  const text = typeof value === 'bigint' ? value.toString() : (JSON.stringify(value) ?? String(value));
  return `${typeof value} ${text.slice(0, 40)}`;
}

function tooLong(path: string, problems: Problem[]): undefined {
  problems.push({ path, message: `is longer than ${INPUT_LIMITS.maxIdLength} characters` });
  return undefined;
}
