import { Type } from '@sinclair/typebox';
import { closed, PositiveInt, SqliteOrPostgres } from './common.js';

/** `identity.limits.<type>`: at most `max` identifiers of the type per profile, optionally counted over a window. */
export const IDENTITY_LIMIT_SCHEMA = Type.Object(
  {
    max: PositiveInt,
    /** Count only identifiers linked within the last this many days (default: ever). */
    windowDays: Type.Optional(PositiveInt),
  },
  closed,
);

/** Where the identity graph is kept: the embedded SQLite file (default) or PostgreSQL, which routers can share. */
export const IDENTITY_STORE_SCHEMA = SqliteOrPostgres;

/** The `identity` section: how events are resolved to people (docs/identity.md). */
export const IDENTITY_SCHEMA = Type.Object(
  {
    /** Resolve every event to a profile (default true). */
    enabled: Type.Optional(Type.Boolean()),
    store: Type.Optional(IDENTITY_STORE_SCHEMA),
    /** Identity types in priority order; types not listed follow in the vocabulary's order, device ids last. */
    priority: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
    /** Types a profile holds at most one value of (default customer_id, user_id). */
    unique: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
    /** Types that make a profile known (default customer_id, user_id, email). */
    loginTypes: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
    /**
     * Types several people may share (default: device ids). Through one of them a known profile is matched only
     * when the event also carries one of that profile's login ids.
     */
    sharedTypes: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
    /** Per-type limits (default anonymous_id: 5 in 7 days). */
    limits: Type.Optional(Type.Record(Type.String({ minLength: 1 }), IDENTITY_LIMIT_SCHEMA)),
    /** Identifiers per profile at most (default 100). */
    maxIdentifiersPerProfile: Type.Optional(PositiveInt),
    /** Values that never join anything: exact strings, or regular expressions written `/…/` (replaces the defaults). */
    blockedValues: Type.Optional(Type.Array(Type.String())),
  },
  closed,
);
