import type { Got } from 'got';
import { cachedToken, forgetToken, type TokenResponse } from './token-cache.js';

/** An OAuth 2.0 client credentials grant (RFC 6749 §4.4): a server-to-server client trading its id and secret for tokens. */
export interface ClientCredentialsGrant {
  tokenUrl: string;
  /** The vendor's name in error messages (`Salesforce Marketing Cloud`). */
  vendor: string;
  clientId: string;
  clientSecret: string;
  /** Other fields of the token request (`scope`, `account_id`, …). */
  extra?: Record<string, string>;
  /** How the request body is sent: form-encoded as RFC 6749 says (default), or JSON for vendors that want that. */
  encoding?: 'form' | 'json';
}

/**
 * The token answer (access_token and the vendor's other fields, such as an instance URL) for the client credentials,
 * cached per connection until a minute before it expires. A refused client is an AuthenticationError.
 */
export async function clientCredentialsToken(
  ctx: { http: Got; signal?: AbortSignal },
  grant: ClientCredentialsGrant,
  now = Date.now(),
): Promise<TokenResponse> {
  const body = { grant_type: 'client_credentials', client_id: grant.clientId, client_secret: grant.clientSecret, ...grant.extra };
  const key = `${grant.tokenUrl}\0${grant.clientId}\0${JSON.stringify(grant.extra ?? {})}`;
  const description = { vendor: grant.vendor, credential: 'client credentials', remedy: 'check the client id and secret and their permissions' };
  return cachedToken(
    ctx,
    key,
    description,
    () => ctx.http.post(grant.tokenUrl, { ...(grant.encoding === 'json' ? { json: body } : { form: body }), signal: ctx.signal }).json<TokenResponse>(),
    now,
  );
}

/** Forgets the cached token of these client credentials, so the next call fetches a new one (after the API refused it). */
export function forgetClientCredentialsToken(ctx: { http: Got }, grant: ClientCredentialsGrant): void {
  forgetToken(ctx, `${grant.tokenUrl}\0${grant.clientId}\0${JSON.stringify(grant.extra ?? {})}`);
}
