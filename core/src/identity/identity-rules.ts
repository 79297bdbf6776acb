import type { IdentityConfig } from '../config/config-types.js';
import { canonicalIdentityType, IDENTITY_TYPES } from '../vocabulary/identity-types.js';

/** Identifiers that several people may share: devices. */
const DEVICE_TYPES = [
  'advertising_id',
  'ios_idfa',
  'android_aaid',
  'fire_advertising_id',
  'roku_advertising_id',
  'microsoft_advertising_id',
  'ios_idfv',
  'android_uuid',
  'device_id',
  'device_application_stamp',
  'push_token',
  'roku_publisher_id',
  'microsoft_publisher_id',
];

export const IDENTITY_DEFAULTS = {
  priority: ['customer_id', 'user_id', 'email', 'mpid', 'phone', 'anonymous_id'],
  unique: ['customer_id', 'user_id'],
  loginTypes: ['customer_id', 'user_id', 'email'],
  sharedTypes: DEVICE_TYPES,
  limits: { anonymous_id: { max: 5, windowDays: 7 } } as Record<string, { max: number; windowDays?: number }>,
  maxIdentifiersPerProfile: 100,
  blockedValues: ['', 'null', 'undefined', 'anonymous', 'none', 'unknown', '0', '-1', '/^[0-]*$/'],
};

export interface IdentityLimit {
  max: number;
  windowMs?: number;
}

/** The identity section with its defaults applied, in the forms resolution asks for. */
export interface IdentityRules {
  enabled: boolean;
  /** Lower ranks win; every type outside the list ranks after it, device ids last. */
  rank(type: string): number;
  unique: ReadonlySet<string>;
  loginTypes: ReadonlySet<string>;
  sharedTypes: ReadonlySet<string>;
  limits: ReadonlyMap<string, IdentityLimit>;
  maxIdentifiersPerProfile: number;
  isBlockedValue(value: string): boolean;
}

const DAY_MS = 24 * 3600 * 1000;

function canonicalTypes(names: readonly string[]): string[] {
  return names.map((name) => canonicalIdentityType(name) ?? name.trim().toLowerCase());
}

/** Compiles the `identity` section (already schema-checked); throws with the offending entry on a bad pattern. */
export function resolveIdentityRules(config: IdentityConfig | undefined = {}): IdentityRules {
  const shared = new Set(canonicalTypes(config.sharedTypes ?? IDENTITY_DEFAULTS.sharedTypes));
  const listed = canonicalTypes(config.priority ?? IDENTITY_DEFAULTS.priority);
  const rest = IDENTITY_TYPES.filter((type) => !listed.includes(type));
  const order = [...listed, ...rest.filter((type) => !shared.has(type)), ...rest.filter((type) => shared.has(type))];
  const ranks = new Map(order.map((type, index) => [type, index]));
  const unlistedRank = order.length;
  const limits = new Map<string, IdentityLimit>();
  for (const [name, limit] of Object.entries(config.limits ?? IDENTITY_DEFAULTS.limits)) {
    limits.set(canonicalIdentityType(name) ?? name, { max: limit.max, ...(limit.windowDays ? { windowMs: limit.windowDays * DAY_MS } : {}) });
  }
  const exact = new Set<string>();
  const patterns: RegExp[] = [];
  (config.blockedValues ?? IDENTITY_DEFAULTS.blockedValues).forEach((entry, index) => {
    const pattern = /^\/(.*)\/([a-z]*)$/.exec(entry);
    if (!pattern) return exact.add(entry.trim().toLowerCase());
    try {
      patterns.push(new RegExp(pattern[1]!, pattern[2]));
    } catch (error) {
      throw new Error(`identity.blockedValues[${index}]: ${(error as Error).message}`);
    }
  });
  return {
    enabled: config.enabled ?? true,
    // Unlisted types outside the vocabulary (an mParticle facebook id) rank before device ids, after the rest.
    rank: (type) => ranks.get(type) ?? (shared.has(type) ? unlistedRank + 1 : unlistedRank),
    unique: new Set(canonicalTypes(config.unique ?? IDENTITY_DEFAULTS.unique)),
    loginTypes: new Set(canonicalTypes(config.loginTypes ?? IDENTITY_DEFAULTS.loginTypes)),
    sharedTypes: shared,
    limits,
    maxIdentifiersPerProfile: config.maxIdentifiersPerProfile ?? IDENTITY_DEFAULTS.maxIdentifiersPerProfile,
    isBlockedValue: (value) => {
      const trimmed = value.trim();
      return exact.has(trimmed.toLowerCase()) || patterns.some((p) => p.test(trimmed));
    },
  };
}
