/**
 * Every limit on what the router accepts over HTTP, in one place (docs/events.md and docs/privacy.md
 * list them). Body sizes are bytes after decompression; a request over a limit is refused as a whole.
 */
export const INPUT_LIMITS = {
  /** Objects and arrays may nest this many levels, the body itself being level 1. */
  maxDepth: 64,
  /** An error answer lists this many problems and counts the rest, so a bad request cannot amplify. */
  maxProblemsListed: 50,
  /** The request line and headers together (Node's parser answers 431 beyond it). */
  maxHeaderBytes: 16 * 1024,
  /** A path parameter (`/requests/{id}`) longer than this is 414. */
  maxPathSegmentLength: 100,
  /** Ids (userId, messageId, identity values…) longer than this are refused. */
  maxIdLength: 1024,
  /**
   * Every timestamp must lie in this range (Unix ms): the range every supported warehouse stores and
   * ISO-8601 writes with four-digit years. Segment's clock-skew correction is clamped into it.
   */
  timestamps: { minMs: Date.UTC(1970, 0, 1), maxMs: Date.UTC(9999, 11, 31, 23, 59, 59, 999) },
  segment: { maxRequestBytes: 500 * 1024, maxEventBytes: 32 * 1024, maxBatchEvents: 2500 },
  /** A bulk request's events in all are capped like a Segment batch: its work is synchronous, so it bounds the stall. */
  mparticle: { maxBatchBytes: 256 * 1024, maxBulkBytes: 4 * 1024 * 1024, maxBulkBatches: 100, maxEventsPerBatch: 2500, maxEventsPerRequest: 2500 },
  /** A web source (key-only auth, `web: true`): a request budget per source and client address. */
  webSource: { requestsPerWindow: 600, windowMs: 60_000 },
  admin: { maxBodyBytes: 256 * 1024, maxDeadLetterIds: 10_000, maxReasonLength: 500 },
  /** IDSync (`/identity/v1`): a request names one person, so a few dozen identities is already more than any SDK sends. */
  idsync: { maxBodyBytes: 64 * 1024, maxKnownIdentities: 30, maxIdentityChanges: 30 },
  opendsr: { maxBodyBytes: 256 * 1024, maxSubjectIdentities: 100, maxCallbackUrls: 10, maxCallbackUrlLength: 2048 },
} as const;
