/**
 * The canonical event every source is mapped into and every connector receives.
 * docs/events.md documents each field.
 */
export type EventType =
  | 'track'
  | 'identify'
  | 'page'
  | 'screen'
  | 'group'
  | 'alias'
  | 'commerce'
  | 'session_start'
  | 'session_end'
  | 'user_attribute_change'
  | 'user_identity_change'
  | 'opt_out'
  | 'other'
  /** A person entered or left an audience; carries `audience`. Only connectors that declare `audience` take it. */
  | 'audience';

export interface ConsentState {
  /** GDPR purposes keyed by purpose name, as the source reported them. */
  gdpr?: Record<string, { consented: boolean; timestamp?: number; document?: string; location?: string }>;
  /** CCPA: `dataSaleOptOut: true` means the user opted OUT of the sale of their data. */
  ccpa?: { dataSaleOptOut: boolean; timestamp?: number };
  /** Segment consent categories as sent (`context.consent.categoryPreferences`). */
  categories?: Record<string, boolean>;
}

export interface EventContext {
  ip?: string;
  userAgent?: string;
  locale?: string;
  timezone?: string;
  device?: Record<string, unknown>;
  os?: Record<string, unknown>;
  app?: Record<string, unknown>;
  page?: Record<string, unknown>;
  location?: { latitude?: number; longitude?: number; city?: string; region?: string; country?: string; timezone?: string; [k: string]: unknown };
  library?: { name?: string; version?: string };
  consent?: ConsentState;
  dataPlan?: { planId?: string; planVersion?: number };
  [key: string]: unknown;
}

export interface CanonicalEvent {
  messageId: string;
  type: EventType;
  /** Event name for track-like events. */
  event?: string;
  userId?: string;
  anonymousId?: string;
  /** Every identity known for the user: user_id, anonymous_id, email, customer_id, mpid, device ids… */
  identities: Record<string, string>;
  /**
   * The person this event was resolved to by the router's identity graph (a signed 64-bit integer as a decimal
   * string; for mParticle sources it is the mpid). Absent when identity resolution is off.
   */
  profileId?: string;
  traits: Record<string, unknown>;
  properties: Record<string, unknown>;
  context: EventContext;
  /** ISO-8601 timestamps. */
  timestamp: string;
  sentAt?: string;
  receivedAt: string;
  originalTimestamp?: string;
  sourceId: string;
  /** The message as the source sent it, for raw outputs. */
  raw?: unknown;
  /** Group id for `group`, previous id for `alias`. */
  groupId?: string;
  previousId?: string;
  /** Source-side routing hints (Segment's `integrations` object). */
  integrations?: Record<string, unknown>;
  /** For `type: 'audience'`: the membership change this event carries. */
  audience?: AudienceChange;
}

/**
 * One membership change of one person, for one audience sync: the person (their `identities` and `profileId`
 * on the event) entered (`add`) or left (`remove`) the audience `key` at `at`.
 */
export interface AudienceChange {
  /** The audience's stable key (`vip_customers`). */
  key: string;
  /** Its display name, for destinations that show one. */
  name?: string;
  action: 'add' | 'remove';
  /** ISO-8601: when the person entered or left. */
  at: string;
  /** The sync's own settings for this destination (the list, segment or audience id…), checked against the connector's `audience.syncSettings`. */
  sync?: Record<string, unknown>;
}

/** A user identified for data-subject requests (erasure, access) by any of their identities. */
export interface SubjectIdentity {
  identities: Record<string, string>;
}

/** One record a destination holds about a data subject, as its connector reads it back (`onExport`). */
export interface SubjectRecord {
  /** Where the destination keeps it: a table, a file, an object type. */
  source: string;
  /** The record as read back; the runtime makes it JSON-safe (bigints, dates) before it leaves the worker. */
  data: Record<string, unknown>;
}

/** Plain result objects: they cross the worker-thread boundary where error classes do not. */
export type ItemOutcome = 'ok' | 'retryable' | 'rate_limited' | 'permanent' | 'authentication';

export interface ItemResult {
  status: ItemOutcome;
  /** Machine-readable reason, e.g. HTTP_503, NETWORK_ECONNREFUSED, EGRESS_DENIED. */
  code?: string;
  message?: string;
  /** Milliseconds the runtime must wait before trying this item again. */
  retryAfterMs?: number;
  httpStatus?: number;
}
