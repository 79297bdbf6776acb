import { vendorHttpError, type PerformContext } from '@switchyard/sdk-kit';
import { zendeskHost, type ZendeskSettings } from './settings.js';

type Context = Pick<PerformContext<ZendeskSettings, unknown>, 'http' | 'settings' | 'signal'>;

interface ZendeskErrorBody {
  error?: string | { title?: string; message?: string };
  description?: string;
  details?: Record<string, Array<{ description?: string }>>;
}

/** Zendesk's reason: `description` (or `error`) and each field's `details`. */
function reason(body: unknown): string {
  const parsed = body as ZendeskErrorBody;
  const details = Object.values(parsed.details ?? {})
    .flat()
    .map((d) => d.description);
  const error = typeof parsed.error === 'string' ? parsed.error : (parsed.error?.message ?? parsed.error?.title);
  return [parsed.description ?? error, ...details].filter(Boolean).join(': ');
}

/** A Support API call with API-token basic auth (`email/token:apiToken`); failures mapped to the retry contract. */
export async function callZendesk<T>(
  ctx: Context,
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  options: { json?: unknown; searchParams?: Record<string, string> } = {},
): Promise<T> {
  const basic = Buffer.from(`${ctx.settings.email}/token:${ctx.settings.apiToken}`).toString('base64');
  try {
    return await ctx
      .http(`https://${zendeskHost(ctx.settings)}/api/v2/${path}`, { method, ...options, headers: { authorization: `Basic ${basic}` }, signal: ctx.signal })
      .json<T>();
  } catch (thrown) {
    throw vendorHttpError(thrown, `Zendesk ${method} /api/v2/${path.split('/')[0]}`, reason);
  }
}

/** Ids of the users with this external id (exact match) or, without one, this email. */
export async function findUserIds(ctx: Context, identities: { externalId?: string; email?: string }): Promise<number[]> {
  const searchParams: Record<string, string> = identities.externalId ? { external_id: identities.externalId } : { query: `email:${identities.email}` };
  const found = await callZendesk<{ users?: Array<{ id: number }> }>(ctx, 'GET', 'users/search', { searchParams });
  return (found.users ?? []).map((u) => u.id);
}
