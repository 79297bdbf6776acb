import { Type, type AudienceSyncContext, type BatchResult, type ItemResult } from '@switchyard/sdk-kit';
import { apiBase, authHeaders, contactIdsByEmail, MAX_SEARCH_EMAILS, upsertContacts, type Context } from './contacts.js';
import { sendGridError } from './sendgrid-errors.js';
import type { SendGridSettings } from './settings.js';

export const syncSettings = Type.Object(
  { listId: Type.String({ minLength: 1, description: 'The Marketing Campaigns list this sync keeps.' }) },
  { additionalProperties: false },
);

type SyncContext = AudienceSyncContext<SendGridSettings, { listId: string }> & Context;

const UNMATCHED: ItemResult = { status: 'ok', code: 'UNMATCHED', message: 'no SendGrid contact has this email' };

/**
 * Removes people from the list: their contact ids come from the contacts search (100 emails a request), then
 * DELETE /v3/marketing/lists/{id}/contacts?contact_ids= takes them off the list without deleting the contacts.
 */
async function removeFromList(ctx: SyncContext, emails: string[]): Promise<BatchResult> {
  const results: BatchResult = [];
  for (let start = 0; start < emails.length; start += MAX_SEARCH_EMAILS) {
    const chunk = emails.slice(start, start + MAX_SEARCH_EMAILS);
    const ids = await contactIdsByEmail(ctx, chunk);
    if (ids.size > 0) {
      try {
        await ctx.http.delete(`${apiBase(ctx.settings)}/marketing/lists/${encodeURIComponent(ctx.sync.listId)}/contacts`, {
          searchParams: { contact_ids: [...new Set(ids.values())].join(',') },
          headers: authHeaders(ctx.settings),
          signal: ctx.signal,
        });
      } catch (error) {
        throw sendGridError(error, 'list contacts removal');
      }
    }
    results.push(...chunk.map((email) => (ids.has(email) ? undefined : UNMATCHED)));
  }
  return results;
}

/** Adds people to the sync's list (upserting them as contacts) or removes them from it, by email. */
export async function syncList(ctx: SyncContext): Promise<BatchResult> {
  const emails = ctx.members.map((m) => m.identifiers.email!);
  if (ctx.action === 'remove') return removeFromList(ctx, emails);
  return upsertContacts(
    ctx,
    emails.map((email) => ({ email })),
    [ctx.sync.listId],
  );
}
