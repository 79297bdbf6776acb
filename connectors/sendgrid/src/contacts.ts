import { chunkForRequests, PermanentError, type BatchResult, type PerformContext } from '@switchyard/sdk-kit';
import { invalidContactIndexes, sendGridError } from './sendgrid-errors.js';
import type { SendGridSettings } from './settings.js';

export type Context = Pick<PerformContext<Pick<SendGridSettings, 'apiKey' | 'region' | 'listIds'>, unknown>, 'http' | 'settings' | 'signal' | 'log'>;

export const MAX_CONTACTS = 30_000;
const MAX_BODY_BYTES = 6 * 1024 * 1024;

export const apiBase = (settings: Pick<SendGridSettings, 'region'>) => `https://${settings.region === 'eu' ? 'api.eu.sendgrid.com' : 'api.sendgrid.com'}/v3`;

export const authHeaders = (settings: Pick<SendGridSettings, 'apiKey'>) => ({ authorization: `Bearer ${settings.apiKey}` });

interface HttpErrorShape {
  response?: { statusCode: number; body?: unknown };
}

/** Cuts contacts into bodies under SendGrid's 6 MB request limit, keeping their order. */
export function chunkBySize<T>(contacts: T[], maxBytes = MAX_BODY_BYTES): T[][] {
  // The envelope: {"list_ids":[…],"contacts":[]}
  return chunkForRequests(contacts, { maxItems: Infinity, maxBytes, envelopeBytes: 200 }).map((chunk) => chunk.items);
}

async function put(ctx: Context, contacts: Record<string, unknown>[], listIds: readonly string[]): Promise<string | undefined> {
  const body = { ...(listIds.length ? { list_ids: listIds } : {}), contacts };
  const response = await ctx.http
    .put(`${apiBase(ctx.settings)}/marketing/contacts`, {
      json: body,
      headers: authHeaders(ctx.settings),
      signal: ctx.signal,
    })
    .json<{ job_id?: string }>();
  return response.job_id;
}

/**
 * Upserts contacts (SendGrid processes them asynchronously and answers 202 with a job id), adding them to `listIds`.
 * SendGrid refuses the whole request when a contact is invalid and names it (`contacts[i]`); those fail alone and
 * the rest are resent once.
 */
export async function upsertContacts(
  ctx: Context,
  contacts: Record<string, unknown>[],
  listIds: readonly string[] = ctx.settings.listIds,
): Promise<BatchResult> {
  const results: BatchResult = new Array(contacts.length).fill(undefined);
  let offset = 0;
  for (const chunk of chunkBySize(contacts)) {
    const indexes = chunk.map((_, i) => offset + i);
    offset += chunk.length;
    try {
      const jobId = await put(ctx, chunk, listIds);
      ctx.log.debug({ jobId, contacts: chunk.length }, 'SendGrid accepted the contacts upsert');
    } catch (error) {
      const response = (error as HttpErrorShape).response;
      const invalid = response?.statusCode === 400 ? invalidContactIndexes(response.body) : new Map<number, string>();
      if (invalid.size === 0 || invalid.size === chunk.length) throw sendGridError(error, 'contacts upsert');
      for (const [i, message] of invalid) {
        results[indexes[i]!] = new PermanentError(`SendGrid refused the contact: ${message}`, { code: 'CONTACT_INVALID', httpStatus: 400 }).toResult();
      }
      const valid = chunk.flatMap((contact, i) => (invalid.has(i) ? [] : [contact]));
      try {
        await put(ctx, valid, listIds);
      } catch (again) {
        throw sendGridError(again, 'contacts upsert');
      }
    }
  }
  return results;
}

/** Emails per contacts search, SendGrid's limit. */
export const MAX_SEARCH_EMAILS = 100;

/** The contact id of each email SendGrid knows (keyed by the lower-cased email); emails it does not know are absent. */
export async function contactIdsByEmail(ctx: Context, emails: string[]): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  for (let start = 0; start < emails.length; start += MAX_SEARCH_EMAILS) {
    try {
      const response = await ctx.http
        .post(`${apiBase(ctx.settings)}/marketing/contacts/search/emails`, {
          json: { emails: emails.slice(start, start + MAX_SEARCH_EMAILS) },
          headers: authHeaders(ctx.settings),
          signal: ctx.signal,
        })
        .json<{ result?: Record<string, { contact?: { id?: string }; error?: string }> }>();
      for (const [email, found] of Object.entries(response.result ?? {})) if (found.contact?.id) ids.set(email.toLowerCase(), found.contact.id);
    } catch (error) {
      if ((error as HttpErrorShape).response?.statusCode === 404) continue; // none of these emails is a contact
      throw sendGridError(error, 'contact search');
    }
  }
  return ids;
}

/** Looks contact ids up by email, then deletes them; emails SendGrid does not know are nothing to delete. */
export async function deleteContactsByEmail(ctx: Context, emails: string[]): Promise<void> {
  const ids = [...(await contactIdsByEmail(ctx, emails)).values()];
  if (ids.length === 0) return;
  try {
    await ctx.http.delete(`${apiBase(ctx.settings)}/marketing/contacts`, {
      searchParams: { ids: ids.join(',') },
      headers: authHeaders(ctx.settings),
      signal: ctx.signal,
    });
  } catch (error) {
    throw sendGridError(error, 'contact deletion');
  }
}
