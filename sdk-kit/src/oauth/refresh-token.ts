import type { Got } from 'got';
import { AuthenticationError } from '../errors.js';
import { errorForHttpStatus } from '../http-status.js';

/** An OAuth 2.0 token endpoint that trades a long-lived refresh token for access tokens (RFC 6749 §6). */
export interface RefreshTokenGrant {
  tokenUrl: string;
  /** The vendor's name in error messages (`Google`, `Snap`). */
  vendor: string;
  clientId: string;
  clientSecret: string;
  refreshToken: string;
}

interface CachedToken {
  value: string;
  expiresAt: number;
}

// Keyed by the connection's own HTTP client, so each connection keeps its own tokens and drops them with the client.
const tokens = new WeakMap<object, Map<string, CachedToken>>();
const EARLY_REFRESH_MS = 60_000;
// RFC 6749 §5.2: the refresh token or the client is not valid any more; only the operator can fix it.
const CREDENTIAL_ERRORS = new Set(['invalid_grant', 'invalid_client', 'unauthorized_client']);

interface HttpErrorShape {
  response?: { statusCode?: number; headers?: Record<string, string | string[] | undefined>; body?: unknown };
}

/** An access token from the refresh token, cached per connection until a minute before it expires. */
export async function oauthAccessToken(ctx: { http: Got; signal?: AbortSignal }, grant: RefreshTokenGrant, now = Date.now()): Promise<string> {
  const cached = tokens.get(ctx.http)?.get(grant.tokenUrl);
  if (cached && cached.expiresAt > now) return cached.value;
  try {
    const response = await ctx.http
      .post(grant.tokenUrl, {
        form: { grant_type: 'refresh_token', client_id: grant.clientId, client_secret: grant.clientSecret, refresh_token: grant.refreshToken },
        signal: ctx.signal,
      })
      .json<{ access_token: string; expires_in?: number }>();
    const expiresInMs = (response.expires_in ?? 3600) * 1000;
    const byUrl = tokens.get(ctx.http) ?? new Map<string, CachedToken>();
    byUrl.set(grant.tokenUrl, { value: response.access_token, expiresAt: now + expiresInMs - EARLY_REFRESH_MS });
    tokens.set(ctx.http, byUrl);
    return response.access_token;
  } catch (error) {
    throw tokenError(error, grant.vendor);
  }
}

/** Forgets the connection's access token for this endpoint, so the next call fetches a new one (after the API refused it). */
export function forgetOAuthAccessToken(ctx: { http: Got }, tokenUrl: string): void {
  tokens.get(ctx.http)?.delete(tokenUrl);
}

function tokenError(error: unknown, vendor: string): unknown {
  const response = (error as HttpErrorShape | null)?.response;
  if (response?.statusCode === undefined) return error;
  let body: { error?: string; error_description?: string } = {};
  try {
    body = JSON.parse(String(response.body));
  } catch {
    /* not JSON */
  }
  const detail = `${body.error ?? 'error'}${body.error_description ? `: ${body.error_description}` : ''}`;
  if (body.error && CREDENTIAL_ERRORS.has(body.error)) {
    return new AuthenticationError(`${vendor} OAuth refused the refresh token (${detail}); re-authorise the connection`, {
      code: `OAUTH_${body.error.toUpperCase()}`,
      httpStatus: response.statusCode,
    });
  }
  return errorForHttpStatus(response.statusCode, response.headers ?? {}, `${vendor} OAuth token endpoint: ${detail}`) ?? error;
}
