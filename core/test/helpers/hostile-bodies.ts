import { gzipSync } from 'node:zlib';

/** mulberry32: a tiny seeded PRNG, so every fuzz run with the same seed sends the same bytes. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Dice {
  constructor(readonly random: () => number) {}
  int(max: number): number {
    return Math.floor(this.random() * max);
  }
  chance(p: number): boolean {
    return this.random() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
}

const PROTOTYPE_NAMES = Object.getOwnPropertyNames(Object.prototype);
const HOSTILE_KEYS = [
  '__proto__',
  ...PROTOTYPE_NAMES,
  '',
  ' ',
  '$',
  '.',
  'a.b',
  '[0]',
  '\u0000',
  '\ud800',
  '🙂',
  'k'.repeat(2000),
  'writeKey',
  'type',
  'batch',
  'events',
];
const HOSTILE_STRINGS = [
  '',
  ' ',
  'null',
  'undefined',
  '+275760-09-13T00:00:00.000Z',
  '-271821-04-20T00:00:00.000Z',
  '0000-00-00T00:00:00Z',
  '1969-12-31T23:59:59Z',
  '9999-12-31T23:59:59.999Z',
  '2026-02-30T00:00:00Z',
  'yesterday',
  '1e309',
  'NaN',
  '-1',
  '18446744073709551616',
  '\u0000',
  '\ud800',
  '\udfff',
  '\u202e',
  '\ufeff',
  '<script>alert(1)</script>',
  "' OR 1=1 --",
  '%s%n%x',
  '../../../etc/passwd',
  '${jndi:ldap://x}',
  '🙂'.repeat(50),
  'x'.repeat(5000),
  'custom_event',
  'track',
  'email',
  'raw',
  ...PROTOTYPE_NAMES,
];
const HOSTILE_NUMBERS = [0, -0, 1, -1, 0.5, 1e308, -1e308, 5e-324, 2 ** 53 + 1, 8.64e15, 8.64e15 + 1, -8.64e15, 253402300800000, 253402300799999];

/** A hostile JSON value: scalars that sit on every edge, prototype names, deep or wide structures. */
export function hostileValue(dice: Dice, budget = 3): unknown {
  switch (dice.int(budget > 0 ? 9 : 5)) {
    case 0:
      return dice.pick(HOSTILE_STRINGS);
    case 1:
      return dice.pick(HOSTILE_NUMBERS);
    case 2:
      return dice.pick([true, false, null]);
    case 3:
      return dice.chance(0.5) ? {} : [];
    case 4:
      return dice.pick(PROTOTYPE_NAMES);
    case 5:
      return nested(dice.pick([10, 63, 64, 65, 80, 200]));
    // Arrays past the batch and array caps are rare: they cost the test more than the router.
    case 6:
      return Array.from({ length: dice.chance(0.1) ? dice.pick([2501, 3000]) : dice.pick([2, 11, 101]) }, () => dice.pick([0, 'x', {}, null]));
    case 7:
      return Object.fromEntries(Array.from({ length: 1 + dice.int(4) }, () => [dice.pick(HOSTILE_KEYS), hostileValue(dice, budget - 1)]));
    default:
      return [hostileValue(dice, budget - 1), hostileValue(dice, budget - 1)];
  }
}

function nested(levels: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < levels; i += 1) value = { a: value };
  return value;
}

/** Every object or array node of a JSON value, with its parent and key, for picking a mutation site. */
function nodesOf(root: unknown): Array<{ parent: any; key: string | number }> {
  const out: Array<{ parent: any; key: string | number }> = [];
  const stack: unknown[] = [root];
  while (stack.length && out.length < 400) {
    const value = stack.pop();
    if (value === null || typeof value !== 'object') continue;
    for (const key of Object.keys(value)) {
      out.push({ parent: value, key: Array.isArray(value) ? Number(key) : key });
      stack.push((value as Record<string, unknown>)[key]);
    }
  }
  return out;
}

/** Mutates a (copied) valid body in place: replace, delete, add or multiply a member. */
export function mutate(dice: Dice, body: unknown): unknown {
  let root = structuredClone(body);
  const rounds = 1 + dice.int(3);
  for (let i = 0; i < rounds; i += 1) {
    const nodes = nodesOf(root);
    if (nodes.length === 0 || dice.chance(0.05)) {
      root = hostileValue(dice);
      continue;
    }
    const { parent, key } = dice.pick(nodes);
    switch (dice.int(5)) {
      case 0:
        parent[key] = hostileValue(dice);
        break;
      case 1:
        if (Array.isArray(parent)) parent.splice(key as number, 1);
        else delete parent[key];
        break;
      case 2: {
        // defineProperty, because assigning "__proto__" would set the prototype instead of adding a key.
        const target = parent[key] !== null && typeof parent[key] === 'object' && !Array.isArray(parent[key]) ? parent[key] : parent;
        if (!Array.isArray(target))
          Object.defineProperty(target, dice.pick(HOSTILE_KEYS), { value: hostileValue(dice), enumerable: true, configurable: true, writable: true });
        break;
      }
      case 3:
        parent[key] = Array.from({ length: dice.chance(0.05) ? 2600 : dice.pick([3, 120]) }, () => parent[key]);
        break;
      default:
        parent[key] = dice.chance(0.5) ? (JSON.stringify(parent[key]) ?? '') : [parent[key]];
    }
  }
  return root;
}

const BAD_BYTES = [
  [0x00],
  [0xff],
  [0xc0, 0xaf],
  [0xed, 0xa0, 0x80],
  [0xf4, 0x90, 0x80, 0x80],
  [0xe2, 0x82],
  [0x80],
  [0x7f],
  [0x0a],
  [0x22],
  [0x5c],
  [0x7b],
  [0x5d],
];

/** Byte-level damage to a serialised body: truncation, stray or invalid UTF-8 bytes, prefixes, repetition. */
export function damage(dice: Dice, text: Buffer): Buffer {
  const at = dice.int(text.length + 1);
  switch (dice.int(6)) {
    case 0:
      return text.subarray(0, at);
    case 1:
      return Buffer.concat([text.subarray(0, at), Buffer.from(dice.pick(BAD_BYTES)), text.subarray(at)]);
    case 2:
      return Buffer.concat([text.subarray(0, at), text.subarray(Math.min(text.length, at + 1 + dice.int(8)))]);
    case 3:
      return Buffer.concat([Buffer.from(dice.pick(['\ufeff', ")]}'\n", ' \t\r\n', 'null', '[', '{"a":1}'])), text]);
    case 4:
      return Buffer.concat([text, Buffer.from(dice.pick(['', '}', ']', ',', ' garbage', '\u0000', '{}']))]);
    default: {
      const copy = Buffer.from(text);
      if (copy.length) copy[dice.int(copy.length)] = dice.int(256);
      return copy;
    }
  }
}

const CONTENT_TYPES = [
  'text/plain',
  'application/octet-stream',
  'application/x-www-form-urlencoded',
  'application/json; charset=utf-8',
  'application/xml',
  'multipart/form-data; boundary=x',
  'application/json, text/plain',
  'APPLICATION/JSON',
];

/** Headers and body bytes: mostly JSON, sometimes another content type, gzip, a broken encoding or no body. */
export function envelope(dice: Dice, text: Buffer): { headers: Record<string, string>; raw: Buffer | undefined } {
  const headers: Record<string, string> = {};
  if (!dice.chance(0.05)) headers['content-type'] = dice.chance(0.85) ? 'application/json' : dice.pick(CONTENT_TYPES);
  let raw: Buffer | undefined = text;
  const encoding = dice.int(20);
  if (encoding === 0) {
    headers['content-encoding'] = 'gzip';
    raw = gzipSync(text);
  } else if (encoding === 1) {
    headers['content-encoding'] = dice.pick(['gzip', 'deflate', 'br']);
  } else if (encoding === 2) {
    headers['content-encoding'] = dice.pick(['zstd', 'identity, gzip', 'x-unknown']);
  } else if (encoding === 3) raw = undefined;
  return { headers, raw };
}
