import {
  classifyError,
  PermanentError,
  Type,
  type AudienceListContext,
  type AudienceMemberPage,
  type AudienceSyncContext,
  type BatchResult,
  type ItemResult,
} from '@switchyard/sdk-kit';
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
type ListContext = AudienceListContext<MailchimpSettings, Sync>;

/** Members per page of GET /lists/{list_id}/segments/{segment_id}/members (the API's largest `count`). */
export const MEMBERS_PER_PAGE = 1000;

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

interface SegmentMembersResponse {
  members?: Array<{ email_address?: string }>;
  total_items?: number;
}

interface TagSearchResponse {
  tags?: Array<{ id: number | string; name: string }>;
}

/** A tag is a static segment with an id; tag-search matches name prefixes, so the exact name is picked out. */
async function tagSegmentId(ctx: Context, listId: string, tag: string): Promise<string | undefined> {
  const found = await call<TagSearchResponse>(ctx, 'GET', `/lists/${listId}/tag-search?name=${encodeURIComponent(tag)}`);
  const match = found?.tags?.find((t) => t.name === tag);
  return match === undefined ? undefined : String(match.id);
}

/**
 * One page of the people the sync's static segment or tag holds (GET /lists/{list_id}/segments/{segment_id}/members,
 * paged with count and offset); the cursor is the next offset. A tag not created yet holds no one.
 */
export async function listAudienceMembers(ctx: ListContext): Promise<AudienceMemberPage> {
  const { tag } = ctx.sync;
  if ((ctx.sync.segmentId === undefined) === (tag === undefined)) {
    throw new PermanentError('audience.sync: set exactly one of segmentId (a static segment or tag id) and tag (a tag name)', {
      code: 'SYNC_SETTINGS_INVALID',
    });
  }
  const listId = ctx.sync.listId ?? ctx.settings.listId;
  const segmentId = ctx.sync.segmentId ?? (await tagSegmentId(ctx, listId, tag!));
  if (segmentId === undefined) return { members: [], total: 0 };
  const offset = ctx.cursor === undefined ? 0 : Number(ctx.cursor);
  const page = await call<SegmentMembersResponse>(
    ctx,
    'GET',
    `/lists/${listId}/segments/${segmentId}/members?count=${MEMBERS_PER_PAGE}&offset=${offset}&fields=members.email_address,total_items`,
  );
  const members = (page?.members ?? []).flatMap((m) => (m.email_address ? [{ identifiers: { email: m.email_address } }] : []));
  const total = page?.total_items;
  const next = offset + (page?.members?.length ?? 0);
  const more = (page?.members?.length ?? 0) > 0 && (total === undefined ? (page?.members?.length ?? 0) === MEMBERS_PER_PAGE : next < total);
  return { members, ...(more ? { next: String(next) } : {}), ...(total !== undefined ? { total } : {}) };
}
