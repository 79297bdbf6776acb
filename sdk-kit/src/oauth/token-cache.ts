import type { Got } from 'got';
import { AuthenticationError } from '../errors.js';
import { errorForHttpStatus } from '../http-status.js';

/** What an OAuth 2.0 token endpoint answers (RFC 6749 §5.1), with any vendor fields beside. */
export interface TokenResponse {
  access_token: string;
  expires_in?: number;
  [field: string]: unknown;
}

interface CachedToken {
  response: TokenResponse;
  expiresAt: number;
}

// Keyed by the connection's own HTTP client, so each connection keeps its own tokens and drops them with the client.
const tokens = new WeakMap<object, Map<string, CachedToken>>();
const EARLY_REFRESH_MS = 60_000;
// RFC 6749 §5.2: the grant or the client is not valid any more; only the operator can fix it.
const CREDENTIAL_ERRORS = new Set(['invalid_grant', 'invalid_client', 'unauthorized_client']);

interface HttpErrorShape {
  response?: { statusCode?: number; headers?: Record<string, string | string[] | undefined>; body?: unknown };
}

/** Who refused what, for the error a refused grant becomes: `Google`, `refresh token`, `re-authorise the connection`. */
export interface GrantDescription {
  vendor: string;
  credential: string;
  remedy: string;
}

/** The token cached for `key` on this connection until a minute before it expires, else the one `fetch` gets. */
export async function cachedToken(
  ctx: { http: Got },
  key: string,
  grant: GrantDescription,
  fetch: () => Promise<TokenResponse>,
  now = Date.now(),
): Promise<TokenResponse> {
  const cached = tokens.get(ctx.http)?.get(key);
  if (cached && cached.expiresAt > now) return cached.response;
  let response: TokenResponse;
  try {
    response = await fetch();
  } catch (error) {
    throw tokenError(error, grant);
  }
  const byKey = tokens.get(ctx.http) ?? new Map<string, CachedToken>();
  byKey.set(key, { response, expiresAt: now + (response.expires_in ?? 3600) * 1000 - EARLY_REFRESH_MS });
  tokens.set(ctx.http, byKey);
  return response;
}

/** Forgets the connection's token for `key`, so the next call fetches a new one (after the API refused it). */
export function forgetToken(ctx: { http: Got }, key: string): void {
  tokens.get(ctx.http)?.delete(key);
}

function tokenError(error: unknown, { vendor, credential, remedy }: GrantDescription): unknown {
  const response = (error as HttpErrorShape | null)?.response;
  if (response?.statusCode === undefined) return error;
  let body: { error?: string; error_description?: string } = {};
  try {
    body = typeof response.body === 'string' ? JSON.parse(response.body) : ((response.body as typeof body) ?? {});
  } catch {
    /* not JSON */
  }
  const detail = `${body.error ?? 'error'}${body.error_description ? `: ${body.error_description}` : ''}`;
  if (body.error && CREDENTIAL_ERRORS.has(body.error)) {
    return new AuthenticationError(`${vendor} OAuth refused the ${credential} (${detail}); ${remedy}`, {
      code: `OAUTH_${body.error.toUpperCase()}`,
      httpStatus: response.statusCode,
    });
  }
  return errorForHttpStatus(response.statusCode, response.headers ?? {}, `${vendor} OAuth token endpoint: ${detail}`) ?? error;
}
