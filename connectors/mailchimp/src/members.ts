import { classifyError, PermanentError, type BatchResult } from '@switchyard/sdk-kit';
import { call, subscriberHash, type Context } from './mailchimp-api.js';

export interface MemberPayload {
  email: string;
  merge_fields?: Record<string, unknown>;
  tags?: string[];
}

/** Members per POST /lists/{list_id}, Mailchimp's limit. */
export const MAX_BATCH_MEMBERS = 500;

const memberPath = (ctx: Context, email: string) => `/lists/${ctx.settings.listId}/members/${subscriberHash(email)}`;

/** PUT member: creates with `status_if_new`, or updates merge fields without touching an existing member's status. */
export async function upsertMember(ctx: Context, member: MemberPayload): Promise<void> {
  await call(ctx, 'PUT', memberPath(ctx, member.email), {
    email_address: member.email,
    status_if_new: ctx.settings.statusIfNew,
    ...(member.merge_fields && Object.keys(member.merge_fields).length ? { merge_fields: member.merge_fields } : {}),
  });
  await addTags(ctx, member);
}

async function addTags(ctx: Context, member: MemberPayload): Promise<void> {
  if (!member.tags?.length) return;
  await call(ctx, 'POST', `${memberPath(ctx, member.email)}/tags`, {
    tags: member.tags.map((name) => ({ name, status: 'active' })),
  });
}

interface BatchResponse {
  errors?: Array<{ email_address?: string; error?: string; error_code?: string }>;
}

/**
 * POST /lists/{list_id} adds new members in one request. `update_existing` would also overwrite existing members'
 * status (re-subscribing people who unsubscribed), so it stays off and members Mailchimp reports as existing are
 * updated one by one with PUT and `status_if_new`, which leaves their status alone.
 */
export async function upsertMembers(ctx: Context, members: MemberPayload[]): Promise<BatchResult> {
  const results: BatchResult = new Array(members.length).fill(undefined);
  // One member per email: a later event for the same email wins, and its result is every duplicate's result.
  const lastIndex = new Map<string, number>();
  members.forEach((m, i) => lastIndex.set(m.email, i));
  const unique = [...lastIndex.values()].sort((a, b) => a - b);

  const response = await call<BatchResponse>(ctx, 'POST', `/lists/${ctx.settings.listId}`, {
    update_existing: false,
    members: unique.map((i) => ({
      email_address: members[i]!.email,
      status: ctx.settings.statusIfNew,
      ...(members[i]!.merge_fields && Object.keys(members[i]!.merge_fields!).length ? { merge_fields: members[i]!.merge_fields } : {}),
    })),
  });

  const errors = new Map((response?.errors ?? []).map((e) => [String(e.email_address ?? '').toLowerCase(), e]));
  for (const i of unique) {
    const member = members[i]!;
    const error = errors.get(member.email);
    try {
      if (error?.error_code === 'ERROR_CONTACT_EXISTS') await upsertMember(ctx, member);
      else if (error)
        results[i] = new PermanentError(`Mailchimp refused ${member.email}: ${error.error ?? error.error_code}`, {
          code: `MAILCHIMP_${error.error_code ?? 'ERROR'}`,
        }).toResult();
      else await addTags(ctx, member);
    } catch (thrown) {
      results[i] = classifyError(thrown);
    }
  }
  members.forEach((m, i) => {
    results[i] = results[lastIndex.get(m.email)!];
  });
  return results;
}

/** Archives the member (DELETE) or deletes them permanently; a member Mailchimp does not have needs nothing. */
export async function deleteMember(ctx: Context, email: string): Promise<void> {
  const path = memberPath(ctx, email);
  try {
    if (ctx.settings.deleteMode === 'archive') await call(ctx, 'DELETE', path);
    else await call(ctx, 'POST', `${path}/actions/delete-permanent`);
  } catch (error) {
    if ((error as { httpStatus?: number }).httpStatus === 404) return;
    throw error;
  }
}
