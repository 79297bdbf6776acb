import type { TSchema } from '@sinclair/typebox';

type JsonSchemaNode = { properties?: Record<string, JsonSchemaNode>; secret?: boolean; [k: string]: unknown };

/** Top-level-and-nested property paths marked `secret: true` in a settings schema. */
export function secretPaths(schema: TSchema | JsonSchemaNode, prefix: string[] = []): string[][] {
  const node = schema as JsonSchemaNode;
  const paths: string[][] = [];
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    if (child.secret === true) paths.push([...prefix, key]);
    paths.push(...secretPaths(child, [...prefix, key]));
  }
  return paths;
}

/** The actual secret strings in a connection's settings, so logs and errors can be scrubbed of them. */
export function secretValues(schema: TSchema | JsonSchemaNode, settings: unknown): string[] {
  const values: string[] = [];
  for (const path of secretPaths(schema)) {
    let value: unknown = settings;
    for (const key of path) value = (value as Record<string, unknown> | undefined)?.[key];
    if (typeof value === 'string' && value.length >= 4) values.push(value);
    if (typeof value === 'number') values.push(String(value));
  }
  return values;
}

export const REDACTED = '[REDACTED]';

/** Replaces every occurrence of each secret (raw and JSON-escaped) in `text`. */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (!secret) continue;
    out = out.split(secret).join(REDACTED);
    const escaped = JSON.stringify(secret).slice(1, -1);
    if (escaped !== secret) out = out.split(escaped).join(REDACTED);
  }
  return out;
}
