/**
 * Field removal on an event a connection receives (connection filters `dropFields` and `keepFields`). Both work
 * on the caller's own copy: the event other connections receive is never touched.
 */

/**
 * Fields keepFields keeps and dropFields refuses. The queue and every connector need the first five; the privacy
 * checks right before delivery (the delivery gate, the worker's revocation check) recognise the person by the
 * delivered body's `identities` and `profileId`, so removing them would let a suppression or an erasure made
 * after acceptance miss that connection's deliveries.
 */
export const KEPT_FIELDS = ['messageId', 'type', 'sourceId', 'timestamp', 'receivedAt', 'identities', 'profileId'] as const;
/** Kept by keepFields too (they may be dropped): the user's ids. */
export const KEPT_IDS = ['userId', 'anonymousId'] as const;
/** Emptied rather than removed, so connectors can still read into them. */
const CONTAINERS = ['traits', 'properties', 'context', 'identities'] as const;

/** Whether dropFields may name the dot path: not a kept field, nor inside one (`identities.email`). */
export function isRemovable(path: string): boolean {
  return !KEPT_FIELDS.some((field) => path === field || path.startsWith(`${field}.`));
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null;

/** Removes the dot path from `document` (array items by index). */
export function removePath(document: Json, segments: readonly string[]): void {
  let parent: unknown = document;
  for (const key of segments.slice(0, -1)) {
    if (!isObject(parent) || !Object.hasOwn(parent, key)) return;
    parent = parent[key];
  }
  const last = segments[segments.length - 1]!;
  if (Array.isArray(parent) && /^\d+$/.test(last)) parent.splice(Number(last), 1);
  else if (isObject(parent) && Object.hasOwn(parent, last)) delete parent[last];
}

/**
 * A new event holding only `paths` of `document`, the kept fields and the user's ids. A path that reaches
 * an array keeps the whole array: an item's position means nothing once its siblings are gone.
 */
export function keepPaths(document: Json, paths: readonly (readonly string[])[]): Json {
  const kept: Json = {};
  for (const key of [...KEPT_FIELDS, ...KEPT_IDS]) if (document[key] !== undefined) kept[key] = document[key];
  for (const segments of paths) copyPath(document, kept, segments);
  return kept;
}

function copyPath(from: Json, to: Json, segments: readonly string[]): void {
  let source: unknown = from;
  let target = to;
  for (const [i, key] of segments.entries()) {
    if (!isObject(source) || Array.isArray(source) || !Object.hasOwn(source, key)) return;
    const value = source[key];
    if (i === segments.length - 1 || Array.isArray(value) || !isObject(value)) {
      target[key] = value;
      return;
    }
    if (!isObject(target[key])) target[key] = {};
    target = target[key] as Json;
    source = value;
  }
}

/** Puts back an empty object for each container a filter removed. */
export function restoreContainers(document: Json): void {
  for (const key of CONTAINERS) if (!isObject(document[key])) document[key] = {};
}
