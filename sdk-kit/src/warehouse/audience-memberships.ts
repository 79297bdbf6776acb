import type { AudienceMember } from '../define-connector.js';
import { PermanentError } from '../errors.js';
import type { ItemResult } from '../types.js';
import type { ColumnDefinition } from './schema-plan.js';

/** The table audience syncs keep: one row per audience and person, with when they last entered and left. */
export const MEMBERSHIPS_TABLE = 'audience_memberships';
export const MEMBERSHIPS_COLUMNS: ColumnDefinition[] = [
  { name: 'audience_key', type: 'text' },
  { name: 'profile_id', type: 'text' },
  { name: 'audience_name', type: 'text' },
  { name: 'user_id', type: 'text' },
  { name: 'anonymous_id', type: 'text' },
  { name: 'email', type: 'text' },
  { name: 'identifiers', type: 'json' },
  { name: 'entered_at', type: 'timestamp' },
  { name: 'exited_at', type: 'timestamp' },
  { name: 'changed_at', type: 'timestamp' },
  { name: 'message_id', type: 'text' },
  { name: 'loaded_at', type: 'timestamp' },
];
export const MEMBERSHIPS_PRIMARY_KEY = ['audience_key', 'profile_id'];

/** One change of the memberships table: a person entering (`add`) or leaving (`remove`) an audience. */
export interface MembershipChange {
  audience: { key: string; name?: string };
  action: 'add' | 'remove';
  members: readonly AudienceMember[];
}

/**
 * Writes membership changes: an add sets `entered_at` (kept while the person stays in) and clears `exited_at`, a
 * remove sets `exited_at`; a change older than the row's `changed_at` is ignored, so redelivered and out-of-order
 * changes leave the latest state. Rows are in `MEMBERSHIPS_COLUMNS` order.
 */
export type UpsertMemberships = (table: string, columns: ColumnDefinition[], rows: unknown[][], action: 'add' | 'remove') => Promise<void>;

const noProfile = () =>
  new PermanentError('audience memberships are kept per profile_id, and this change has none: the router sends one with every audience change', {
    code: 'NO_PROFILE_ID',
  }).toResult();

/** The rows of a change (people without a profile id fail alone), and the index of the member each row is for. */
export function membershipRows(change: MembershipChange, loadedAt: string): { rows: unknown[][]; indexes: number[]; results: Array<ItemResult | undefined> } {
  const results: Array<ItemResult | undefined> = change.members.map(() => undefined);
  const rows: unknown[][] = [];
  const indexes: number[] = [];
  change.members.forEach((member, index) => {
    if (!member.profileId) {
      results[index] = noProfile();
      return;
    }
    const at = new Date(Date.parse(member.event.audience?.at ?? member.event.timestamp)).toISOString();
    const entered = change.action === 'add' ? at : null;
    const exited = change.action === 'remove' ? at : null;
    const { user_id: userId, anonymous_id: anonymousId, email } = member.identifiers;
    rows.push([
      change.audience.key,
      member.profileId,
      change.audience.name ?? null,
      userId ?? null,
      anonymousId ?? null,
      email ?? null,
      JSON.stringify(member.identifiers),
      entered,
      exited,
      at,
      member.messageId,
      loadedAt,
    ]);
    indexes.push(index);
  });
  return { rows, indexes, results };
}
