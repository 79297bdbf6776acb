import {
  clientCredentialsToken,
  errorForHttpStatus,
  forgetClientCredentialsToken,
  type ClientCredentialsGrant,
  type PerformContext,
} from '@switchyard/sdk-kit';

export interface SfmcSettings {
  subdomain: string;
  clientId: string;
  clientSecret: string;
  accountId?: string;
}
export type Context = Pick<PerformContext<SfmcSettings, unknown>, 'http' | 'settings' | 'signal'>;

export const authHost = (s: SfmcSettings) => `${s.subdomain}.auth.marketingcloudapis.com`;
export const restHost = (s: SfmcSettings) => `${s.subdomain}.rest.marketingcloudapis.com`;

const grantOf = (s: SfmcSettings): ClientCredentialsGrant => ({
  tokenUrl: `https://${authHost(s)}/v2/token`,
  vendor: 'Salesforce Marketing Cloud',
  clientId: s.clientId,
  clientSecret: s.clientSecret,
  ...(s.accountId ? { extra: { account_id: s.accountId } } : {}),
  encoding: 'json',
});

type HttpFailure = { response?: { statusCode: number; headers: Record<string, string | string[] | undefined>; body?: unknown } };

/** SFMC errors carry `message` and `errorcode`, data extension errors `additionalErrors` naming the column. */
function sfmcError(thrown: unknown, where: string): unknown {
  const response = (thrown as HttpFailure | null)?.response;
  if (!response) return thrown;
  let body: { message?: string; errorcode?: number; additionalErrors?: Array<{ message?: string }> } | undefined;
  try {
    body = typeof response.body === 'string' ? JSON.parse(response.body) : (response.body as typeof body);
  } catch {
    /* not JSON */
  }
  const messages = [body?.message, ...(body?.additionalErrors ?? []).map((e) => e.message)].filter(Boolean).join('; ');
  return errorForHttpStatus(response.statusCode, response.headers, `Marketing Cloud ${where}${messages ? `: ${messages}` : ''}`) ?? thrown;
}

/**
 * Calls the tenant's REST API with a client-credentials token (cached; fetched again once if the API answers 401,
 * as it does when a token expired early).
 */
export async function sfmcRequest<T>(ctx: Context, method: 'POST' | 'PUT', path: string, json: unknown, where: string): Promise<T> {
  const grant = grantOf(ctx.settings);
  for (let attempt = 0; ; attempt += 1) {
    const token = await clientCredentialsToken(ctx, grant);
    try {
      return await ctx
        .http(`https://${restHost(ctx.settings)}${path}`, { method, json, headers: { authorization: `Bearer ${token.access_token}` }, signal: ctx.signal })
        .json<T>();
    } catch (error) {
      if ((error as HttpFailure).response?.statusCode === 401 && attempt === 0) {
        forgetClientCredentialsToken(ctx, grant);
        continue;
      }
      throw sfmcError(error, where);
    }
  }
}
