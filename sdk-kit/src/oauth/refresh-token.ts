import type { Got } from 'got';
import { cachedToken, forgetToken } from './token-cache.js';

/** An OAuth 2.0 token endpoint that trades a long-lived refresh token for access tokens (RFC 6749 §6). */
export interface RefreshTokenGrant {
  tokenUrl: string;
  /** The vendor's name in error messages (`Google`, `Snap`). */
  vendor: string;
  clientId: string;
  clientSecret: string;
  refreshToken: string;
}

/** An access token from the refresh token, cached per connection until a minute before it expires. */
export async function oauthAccessToken(ctx: { http: Got; signal?: AbortSignal }, grant: RefreshTokenGrant, now = Date.now()): Promise<string> {
  const description = { vendor: grant.vendor, credential: 'refresh token', remedy: 're-authorise the connection' };
  const token = await cachedToken(
    ctx,
    grant.tokenUrl,
    description,
    () =>
      ctx.http
        .post(grant.tokenUrl, {
          form: { grant_type: 'refresh_token', client_id: grant.clientId, client_secret: grant.clientSecret, refresh_token: grant.refreshToken },
          signal: ctx.signal,
        })
        .json(),
    now,
  );
  return token.access_token;
}

/** Forgets the connection's access token for this endpoint, so the next call fetches a new one (after the API refused it). */
export function forgetOAuthAccessToken(ctx: { http: Got }, tokenUrl: string): void {
  forgetToken(ctx, tokenUrl);
}
