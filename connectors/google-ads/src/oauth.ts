import { AuthenticationError, errorForHttpStatus, type PerformContext } from '@switchyard/sdk-kit';
import type { GoogleAdsSettings } from './settings.js';

export const TOKEN_URL = 'https://oauth2.googleapis.com/token';

type OAuthSettings = Pick<GoogleAdsSettings, 'clientId' | 'clientSecret' | 'refreshToken'>;
type Context = Pick<PerformContext<OAuthSettings, unknown>, 'http' | 'settings' | 'signal'>;
interface CachedToken {
  value: string;
  expiresAt: number;
}

// Keyed by the connection's own HTTP client, so each connection keeps its own token and drops it with the client.
const tokens = new WeakMap<object, CachedToken>();
const EARLY_REFRESH_MS = 60_000;

interface HttpErrorShape {
  response?: { statusCode?: number; headers?: Record<string, string | string[] | undefined>; body?: unknown };
}

/** An OAuth2 access token from the refresh token, cached until a minute before it expires. */
export async function accessToken(ctx: Context, now = Date.now()): Promise<string> {
  const cached = tokens.get(ctx.http);
  if (cached && cached.expiresAt > now) return cached.value;
  try {
    const response = await ctx.http
      .post(TOKEN_URL, {
        form: {
          grant_type: 'refresh_token',
          client_id: ctx.settings.clientId,
          client_secret: ctx.settings.clientSecret,
          refresh_token: ctx.settings.refreshToken,
        },
        signal: ctx.signal,
      })
      .json<{ access_token: string; expires_in?: number }>();
    const expiresInMs = (response.expires_in ?? 3600) * 1000;
    tokens.set(ctx.http, { value: response.access_token, expiresAt: now + expiresInMs - EARLY_REFRESH_MS });
    return response.access_token;
  } catch (error) {
    throw tokenError(error);
  }
}

/** Forgets the connection's token, so the next request fetches a new one (after Google refused it). */
export function forgetAccessToken(ctx: Pick<Context, 'http'>): void {
  tokens.delete(ctx.http);
}

function tokenError(error: unknown): unknown {
  const response = (error as HttpErrorShape | null)?.response;
  if (response?.statusCode === undefined) return error;
  let body: { error?: string; error_description?: string } = {};
  try {
    body = JSON.parse(String(response.body));
  } catch {
    /* not JSON */
  }
  const detail = `${body.error ?? 'error'}${body.error_description ? `: ${body.error_description}` : ''}`;
  // invalid_grant: refresh token revoked or expired; invalid_client: wrong client id/secret. Both need the operator.
  if (body.error === 'invalid_grant' || body.error === 'invalid_client' || body.error === 'unauthorized_client') {
    return new AuthenticationError(`Google OAuth refused the refresh token (${detail}); re-authorise the connection`, {
      code: `OAUTH_${body.error.toUpperCase()}`,
      httpStatus: response.statusCode,
    });
  }
  return errorForHttpStatus(response.statusCode, response.headers ?? {}, `Google OAuth token endpoint: ${detail}`) ?? error;
}
