import { errorForHttpStatus, type PerformContext } from '@switchyard/sdk-kit';
import { zendeskHost, type ZendeskSettings } from './settings.js';

type Context = Pick<PerformContext<ZendeskSettings, unknown>, 'http' | 'settings' | 'signal'>;

interface HttpErrorShape {
  response?: { statusCode: number; headers: Record<string, string | string[] | undefined>; body?: unknown };
}
interface ZendeskErrorBody {
  error?: string | { title?: string; message?: string };
  description?: string;
  details?: Record<string, Array<{ description?: string }>>;
}

/** Zendesk's reason: `description` and each field's `details`, or `error`. */
function reason(body: unknown): string {
  try {
    const parsed = JSON.parse(String(body)) as ZendeskErrorBody;
    const details = Object.values(parsed.details ?? {})
      .flat()
      .map((d) => d.description)
      .filter(Boolean);
    const error = typeof parsed.error === 'string' ? parsed.error : (parsed.error?.message ?? parsed.error?.title);
    return [parsed.description ?? error, ...details].filter(Boolean).join(': ');
  } catch {
    return '';
  }
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
    const response = (thrown as HttpErrorShape | null)?.response;
    if (!response) throw thrown;
    const detail = reason(response.body);
    throw errorForHttpStatus(response.statusCode, response.headers, `Zendesk ${method} /api/v2/${path.split('/')[0]}${detail ? `: ${detail}` : ''}`) ?? thrown;
  }
}

/** Ids of the users with this external id (exact match) or, without one, this email. */
export async function findUserIds(ctx: Context, identities: { externalId?: string; email?: string }): Promise<number[]> {
  const searchParams: Record<string, string> = identities.externalId ? { external_id: identities.externalId } : { query: `email:${identities.email}` };
  const found = await callZendesk<{ users?: Array<{ id: number }> }>(ctx, 'GET', 'users/search', { searchParams });
  return (found.users ?? []).map((u) => u.id);
}
