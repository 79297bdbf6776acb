import type { UserConsent } from '../profiles/consent-record.js';
import type { ProfileFacts } from './audience-rule.js';
import type { AudienceSet } from './audience-set.js';
import { EVER_DAY, type DayStats, type MembershipChange, type ProfileState } from './audience-store.js';
import type { ExitReason } from './audience-types.js';

/** What audiences read about a person from the stores beside them (privacy's profiles and suppressions). */
export interface PeopleFacts {
  /** The profile's traits after the profile store merged them. */
  traitsOf(profileId: string): Record<string, unknown>;
  consentOf(profileId: string): UserConsent;
  isSuppressed(profileId: string): boolean;
}

/** The membership changes of one run, in the order they were decided. */
export interface Changes {
  entered: MembershipChange[];
  exited: Array<MembershipChange & { reason: ExitReason }>;
}

export interface EvaluationInput {
  set: AudienceSet;
  conditionIds: ReadonlyMap<string, number>;
  people: PeopleFacts;
  now: number;
  today: number;
}

const NOTHING: DayStats = { count: 0, sum: 0 };

/**
 * Evaluates audiences (already in dependency order) for one profile and records what changed. The state's
 * memberships are updated as it goes, so an audience that refers to another sees that one's new answer.
 */
export function evaluateProfile(
  input: EvaluationInput,
  profileId: string,
  state: ProfileState,
  audiences: readonly string[],
  reason: ExitReason,
  changes: Changes,
): void {
  if (audiences.length === 0) return;
  const suppressed = input.people.isSuppressed(profileId);
  const facts = factsOf(input, profileId, state);
  for (const key of audiences) {
    const audience = input.set.audiences.get(key);
    if (!audience) continue;
    const matches = !suppressed && audience.test(facts);
    const member = state.memberships.has(key);
    if (matches && !member) {
      state.memberships.add(key);
      changes.entered.push({ audience: key, profileId, at: input.now });
    } else if (!matches && member) {
      state.memberships.delete(key);
      changes.exited.push({ audience: key, profileId, at: input.now, reason: suppressed ? 'suppressed' : reason });
    }
  }
}

function factsOf(input: EvaluationInput, profileId: string, state: ProfileState): ProfileFacts {
  let traits: Record<string, unknown> | undefined;
  let consent: UserConsent | undefined;
  return {
    traits: () => (traits ??= input.people.traitsOf(profileId)),
    consent: () => (consent ??= input.people.consentOf(profileId)),
    isMember: (key) => state.memberships.has(key),
    aggregate: (signature, withinDays) => {
      const id = input.conditionIds.get(signature);
      const days = id === undefined ? undefined : state.buckets.get(id);
      if (!days) return NOTHING;
      if (withinDays === undefined) return days.get(EVER_DAY) ?? NOTHING;
      return combine(days, input.today - withinDays, input.today);
    },
  };
}

/** The stats of the days in [from, to]. */
function combine(days: Map<number, DayStats>, from: number, to: number): DayStats {
  const total: DayStats = { count: 0, sum: 0 };
  for (const [day, stats] of days) {
    if (day < from || day > to) continue;
    addStats(total, stats);
  }
  return total;
}

export function addStats(into: DayStats, stats: DayStats): void {
  into.count += stats.count;
  into.sum += stats.sum;
  if (stats.min !== undefined) into.min = into.min === undefined ? stats.min : Math.min(into.min, stats.min);
  if (stats.max !== undefined) into.max = into.max === undefined ? stats.max : Math.max(into.max, stats.max);
}
