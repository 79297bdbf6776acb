import { classifyError, PermanentError, Type, type AudienceSyncContext, type BatchResult, type ItemResult } from '@switchyard/sdk-kit';
import { call, subscriberHash, type Context } from './mailchimp-api.js';
import type { MailchimpSettings } from './settings.js';

/** Emails per members_to_add / members_to_remove array, Mailchimp's limit. */
export const MAX_SEGMENT_MEMBERS = 500;

export const syncSettings = Type.Object(
  {
    segmentId: Type.Optional(Type.String({ pattern: '^[0-9]+$', description: 'The static segment (or tag) id this sync keeps, in the audience.' })),
    tag: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Or the tag name this sync adds and removes (created when missing).' })),
    listId: Type.Optional(Type.String({ minLength: 1, description: "The audience (list) the segment or tag is in; default: the connection's listId." })),
  },
  { additionalProperties: false },
);

type Sync = { segmentId?: string; tag?: string; listId?: string };
type SyncContext = AudienceSyncContext<MailchimpSettings, Sync>;

/** Mailchimp only segments and tags people already in the audience; others are not matched. */
const notInAudience = (detail?: string): ItemResult => ({ status: 'ok', code: 'UNMATCHED', ...(detail ? { message: detail } : {}) });

interface SegmentBatchResponse {
  errors?: Array<{ email_addresses?: string[]; error?: string }>;
}

/** POST /lists/{list_id}/segments/{segment_id}: one request adds (or removes) up to 500 emails. */
async function syncSegment(ctx: Context, listId: string, segmentId: string, action: 'add' | 'remove', emails: string[]): Promise<BatchResult> {
  const response = await call<SegmentBatchResponse>(ctx, 'POST', `/lists/${listId}/segments/${segmentId}`, {
    [action === 'add' ? 'members_to_add' : 'members_to_remove']: emails,
  });
  const refused = new Map<string, string | undefined>();
  for (const error of response?.errors ?? []) for (const email of error.email_addresses ?? []) refused.set(email.toLowerCase(), error.error);
  return emails.map((email) => (refused.has(email) ? notInAudience(refused.get(email)) : undefined));
}

/** POST /lists/{list_id}/members/{hash}/tags per member: the tag becomes active or inactive on them. */
async function syncTag(ctx: Context, listId: string, tag: string, action: 'add' | 'remove', emails: string[]): Promise<BatchResult> {
  const results: BatchResult = [];
  for (const email of emails) {
    try {
      await call(ctx, 'POST', `/lists/${listId}/members/${subscriberHash(email)}/tags`, {
        tags: [{ name: tag, status: action === 'add' ? 'active' : 'inactive' }],
      });
      results.push(undefined);
    } catch (error) {
      const result = classifyError(error);
      // A rate limit or outage stops the rest: they would fail the same way.
      if (result.status === 'rate_limited' || result.status === 'authentication') throw error;
      results.push(result.httpStatus === 404 ? notInAudience('not a member of the audience') : result);
    }
  }
  return results;
}

/** Adds people to (or removes them from) the sync's static segment or tag, by email. */
export async function syncAudience(ctx: SyncContext): Promise<BatchResult> {
  const { segmentId, tag } = ctx.sync;
  if ((segmentId === undefined) === (tag === undefined)) {
    const invalid = new PermanentError('audience.sync: set exactly one of segmentId (a static segment or tag id) and tag (a tag name)', {
      code: 'SYNC_SETTINGS_INVALID',
    }).toResult();
    return ctx.members.map(() => invalid);
  }
  const listId = ctx.sync.listId ?? ctx.settings.listId;
  const emails = ctx.members.map((m) => m.identifiers.email!);
  return segmentId !== undefined ? syncSegment(ctx, listId, segmentId, ctx.action, emails) : syncTag(ctx, listId, tag!, ctx.action, emails);
}
