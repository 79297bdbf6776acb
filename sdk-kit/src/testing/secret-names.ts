type SchemaNode = { properties?: Record<string, SchemaNode>; secret?: unknown };

const SECRET_WORDS = new Set(['apikey', 'token', 'secret', 'password', 'passwd', 'passphrase', 'credential', 'credentials']);
// `key` alone is often an identifier (audienceKey, partitionKey); it is a secret after these words.
const SECRET_KEY_QUALIFIERS = new Set([
  'api',
  'access',
  'secret',
  'private',
  'signing',
  'auth',
  'client',
  'license',
  'master',
  'encryption',
  'account',
  'app',
  'write',
  'server',
]);

/** The word that makes a setting's name look secret (`apiKey` → `key`), or undefined. */
export function secretLookingWord(name: string): string | undefined {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[\s_\-.]+/)
    .map((w) => w.toLowerCase())
    .filter(Boolean);
  if (words.some((w) => w === 'password' || w === 'passwd')) return 'password';
  const last = words[words.length - 1];
  if (last === 'key') {
    const before = words[words.length - 2];
    return before === undefined || SECRET_KEY_QUALIFIERS.has(before) ? 'key' : undefined;
  }
  return last && SECRET_WORDS.has(last) ? last : undefined;
}

export interface SettingDescription {
  path: string[];
  secret: unknown;
  looksSecret?: string;
}

/** Every property of a settings schema, nested ones included, with its `secret` annotation. */
export function describeSettings(schema: unknown, prefix: string[] = []): SettingDescription[] {
  const node = schema as SchemaNode;
  return Object.entries(node.properties ?? {}).flatMap(([name, child]) => [
    { path: [...prefix, name], secret: child.secret, looksSecret: secretLookingWord(name) },
    ...describeSettings(child, [...prefix, name]),
  ]);
}

/** Values at `path` in the settings, when they are strings long enough to spot in a log line. */
export function valueAt(settings: unknown, path: string[]): string | undefined {
  let value: unknown = settings;
  for (const key of path) value = (value as Record<string, unknown> | undefined)?.[key];
  const text = typeof value === 'number' ? String(value) : value;
  return typeof text === 'string' && text.length >= 4 ? text : undefined;
}
