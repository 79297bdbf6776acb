import { forgetOAuthAccessToken, oauthAccessToken, type PerformContext } from '@switchyard/sdk-kit';
import type { GoogleAdsSettings } from './settings.js';

export const TOKEN_URL = 'https://oauth2.googleapis.com/token';

type OAuthSettings = Pick<GoogleAdsSettings, 'clientId' | 'clientSecret' | 'refreshToken'>;
type Context = Pick<PerformContext<OAuthSettings, unknown>, 'http' | 'settings' | 'signal'>;

/** An OAuth2 access token from the refresh token, cached until a minute before it expires. */
export function accessToken(ctx: Context, now = Date.now()): Promise<string> {
  const { clientId, clientSecret, refreshToken } = ctx.settings;
  return oauthAccessToken(ctx, { tokenUrl: TOKEN_URL, vendor: 'Google', clientId, clientSecret, refreshToken }, now);
}

/** Forgets the connection's token, so the next request fetches a new one (after Google refused it). */
export function forgetAccessToken(ctx: Pick<Context, 'http'>): void {
  forgetOAuthAccessToken(ctx, TOKEN_URL);
}
