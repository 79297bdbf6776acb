/**
 * What the audiences module hands to the rest of the router: the membership listener port later stages (audience
 * syncs) subscribe to, the records the admin API shows, and the clock every time-dependent part reads.
 */

/** Epoch milliseconds now; injected so that tests move time without sleeping. */
export type Clock = () => number;

export const systemClock: Clock = () => Date.now();

const DAY_MS = 86_400_000;

/** The UTC day number (days since 1970-01-01) an instant falls on: the unit event aggregates are kept in. */
export function utcDay(at: number): number {
  return Math.floor(at / DAY_MS);
}

export function startOfUtcDay(day: number): number {
  return day * DAY_MS;
}

/**
 * Why a member left an audience:
 * - `no_longer_matches`: an event, a trait or a consent change made the rule false;
 * - `window_moved`: the days a windowed condition counted moved on (the daily rollover);
 * - `rule_changed`: the audience's definition changed and the person no longer matches it;
 * - `merged`: the person was merged into another profile (the survivor is evaluated in their place);
 * - `suppressed`, `erased`: privacy (a suppression, a data-subject erasure);
 * - `audience_deleted`: the audience was removed from the config or through the admin API.
 */
export type ExitReason = 'no_longer_matches' | 'window_moved' | 'rule_changed' | 'merged' | 'suppressed' | 'erased' | 'audience_deleted';

/**
 * Told of every membership change, after it is stored. Audience syncs subscribe here; a listener that throws is
 * logged and does not stop the others. Calls arrive in the order the changes were stored.
 */
export interface AudienceMembershipListener {
  entered(audienceKey: string, profileId: string, at: number): void | Promise<void>;
  exited(audienceKey: string, profileId: string, at: number, reason: ExitReason): void | Promise<void>;
  /** A merge is done: `from` left its audiences (`merged`) and `into`, the survivor, was evaluated and its changes told. */
  merged?(from: string, into: string): void | Promise<void>;
}

/** One stay of a person in an audience (history is kept: a person who leaves and comes back has two). */
export interface MembershipRecord {
  audience: string;
  profileId: string;
  enteredAt: number;
  exitedAt?: number;
  exitReason?: ExitReason;
}

/** Where a definition comes from: the config file (changed by editing it) or the admin API (stored in audiences.db). */
export type AudienceOrigin = 'config' | 'api';

/** An audience as written: in the config's `audiences` list or as the body of `PUT /admin/v1/audiences/{key}`. */
export interface AudienceDefinition {
  key: string;
  name?: string;
  description?: string;
  rule: unknown;
}

/** The background re-evaluation of known profiles that follows a new or changed definition. */
export interface EvaluationProgress {
  state: 'running' | 'done';
  /** Known profiles evaluated so far, and how many there were when it started. */
  evaluated: number;
  total: number;
  startedAt: number;
  finishedAt?: number;
}
