import type { AudienceDefinition, EvaluationProgress, ExitReason, MembershipRecord } from './audience-types.js';

/** The `day` of a condition's running total since it was first used (kept only for conditions some audience uses with `ever`). */
export const EVER_DAY = -1;

/** One UTC day of one condition for one profile: the events it matched and the numbers they carried. */
export interface DayStats {
  count: number;
  sum: number;
  /** Undefined until a matching event carried a number in `of`. */
  min?: number;
  max?: number;
}

/** What to add to one bucket; min/max take part only when defined. */
export interface BucketDelta extends DayStats {
  conditionId: number;
  profileId: string;
  day: number;
}

/** An event condition as the store keeps it: its identity, and which buckets its audiences need. */
export interface StoredCondition {
  /** The condition's canonical JSON (event, where, of): audiences using the same one share its counters. */
  signature: string;
  /** Day buckets are kept this many days back (the longest window using it); 0 when only `ever` uses it. */
  keepDays: number;
  /** A running total is kept (some audience uses it with `ever`). */
  keepTotal: boolean;
}

/** What one evaluation run reads about a profile. */
export interface ProfileState {
  /** The profile was seen by audiences before this run. */
  known: boolean;
  /** condition id → day → stats (the EVER_DAY total included). */
  buckets: Map<number, Map<number, DayStats>>;
  /** Audiences the profile is a member of now. */
  memberships: Set<string>;
}

export interface MembershipChange {
  audience: string;
  profileId: string;
  at: number;
}

/** Everything one run writes, in one transaction. */
export interface RunWrites {
  deltas: BucketDelta[];
  entered: MembershipChange[];
  exited: Array<MembershipChange & { reason: ExitReason }>;
  /** Profiles seen for the first time. */
  known: string[];
}

export interface StoredDefinition extends AudienceDefinition {
  createdAt: number;
  updatedAt: number;
}

/** The last completed (or running) re-evaluation of an audience, by the hash of the rule it evaluated. */
export interface StoredEvaluation extends EvaluationProgress {
  ruleHash: string;
}

/**
 * Where audiences keep their state: definitions made through the API, per-day event aggregates of the conditions
 * in use, memberships with their history, and the profiles seen. Embedded SQLite (`audiences.db`) by default, or
 * PostgreSQL (postgres-audience-store.ts), which routers share.
 */
export interface AudienceStore {
  /** Makes these the conditions in use (ids for new ones, policies updated); conditions not listed lose their buckets. */
  useConditions(conditions: readonly StoredCondition[]): Promise<Map<string, number>>;
  /**
   * The state of these profiles: buckets of these conditions from `fromDay` on (and totals), and memberships.
   * Profiles in `seen` are known to have been seen (`known: true`) without asking.
   */
  load(profileIds: readonly string[], conditionIds: readonly number[], fromDay: number, seen?: ReadonlySet<string>): Promise<Map<string, ProfileState>>;
  commit(run: RunWrites): Promise<void>;

  members(audience: string, after: string | undefined, limit: number): Promise<MembershipRecord[]>;
  memberCounts(): Promise<Map<string, number>>;
  /** A profile's memberships, current and past, newest first. */
  membershipsOf(profileId: string): Promise<MembershipRecord[]>;

  /** Profiles seen by audiences, in id order after `after` (re-evaluation pages through them). */
  knownProfiles(after: string | undefined, limit: number): Promise<string[]>;
  knownProfileCount(): Promise<number>;
  /** Profiles with a bucket of this condition on a day in [fromDay, toDay], in id order after `after`. */
  profilesWithBuckets(conditionId: number, fromDay: number, toDay: number, after: string | undefined, limit: number): Promise<string[]>;
  /** Removes day buckets of a condition before `beforeDay` (they left every window that uses it). */
  pruneBuckets(conditionId: number, beforeDay: number): Promise<number>;

  /** Adds `from`'s buckets to `into`'s and removes `from`'s (two people became one). */
  mergeProfiles(from: string, into: string): Promise<void>;
  /** Gives `to` a copy of `from`'s buckets (a split: both halves keep what the merged person did). */
  copyProfile(from: string, to: string): Promise<void>;
  /** Forgets profiles: buckets, memberships with their history, and that they were seen. */
  eraseProfiles(profileIds: readonly string[]): Promise<void>;

  definitions(): Promise<StoredDefinition[]>;
  saveDefinition(definition: AudienceDefinition, at: number): Promise<StoredDefinition>;
  deleteDefinition(key: string): Promise<boolean>;
  evaluation(key: string): Promise<StoredEvaluation | undefined>;
  saveEvaluation(key: string, evaluation: StoredEvaluation): Promise<void>;
  deleteEvaluation(key: string): Promise<void>;

  /**
   * Present when several routers share the store: runs `work` (one evaluation run: read, decide, write) while no
   * other router runs one, so runs for the same person do not miss each other's events.
   */
  exclusive?<T>(work: () => Promise<T>): Promise<T>;

  /** Small named values (the last day the rollover handled). */
  meta(name: string): Promise<string | undefined>;
  setMeta(name: string, value: string): Promise<void>;
  close(): Promise<void>;
}
