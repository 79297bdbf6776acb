import { createHash, createSign } from 'node:crypto';
import type { PerformContext } from '@switchyard/sdk-kit';
import { AuthenticationError } from '@switchyard/sdk-kit';

/** The connection's egress-fenced HTTP client (got). */
type Got = PerformContext<unknown, unknown>['http'];

export const TOKEN_URL = 'https://oauth2.googleapis.com/token';
export const BIGQUERY_SCOPE = 'https://www.googleapis.com/auth/bigquery';

export interface ServiceAccountKey {
  client_email: string;
  private_key: string;
  project_id?: string;
}

/** Reads the service-account JSON key from settings; the error names the setting, never the key. */
export function parseServiceAccountKey(json: string): ServiceAccountKey {
  let key: Partial<ServiceAccountKey>;
  try {
    key = JSON.parse(json) as Partial<ServiceAccountKey>;
  } catch {
    throw new AuthenticationError('settings.serviceAccountKey is not valid JSON: paste the whole JSON key file of the service account', {
      code: 'BIGQUERY_KEY_INVALID',
    });
  }
  if (typeof key.client_email !== 'string' || typeof key.private_key !== 'string' || !key.private_key.includes('PRIVATE KEY')) {
    throw new AuthenticationError('settings.serviceAccountKey lacks client_email or private_key: use a JSON key created under IAM → Service accounts → Keys', {
      code: 'BIGQUERY_KEY_INVALID',
    });
  }
  return key as ServiceAccountKey;
}

const base64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');

/** An RS256-signed JWT asserting the service account, for Google's OAuth 2.0 JWT-bearer grant. */
export function signAssertion(key: ServiceAccountKey, nowSeconds = Math.floor(Date.now() / 1000)): string {
  const header = base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT' }));
  const claims = base64url(
    JSON.stringify({
      iss: key.client_email,
      scope: BIGQUERY_SCOPE,
      aud: TOKEN_URL,
      iat: nowSeconds,
      exp: nowSeconds + 3600,
    }),
  );
  const signature = createSign('RSA-SHA256').update(`${header}.${claims}`).sign(key.private_key);
  return `${header}.${claims}.${base64url(signature)}`;
}

interface CachedToken {
  accessToken: string;
  expiresAt: number;
}

// Access tokens last an hour; one per service account per thread, refreshed a minute before expiry.
const tokens = new Map<string, Promise<CachedToken>>();
const REFRESH_MARGIN_MS = 60_000;

async function exchange(http: Got, key: ServiceAccountKey): Promise<CachedToken> {
  try {
    const body = await http
      .post(TOKEN_URL, {
        form: { grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: signAssertion(key) },
      })
      .json<{ access_token: string; expires_in: number }>();
    return { accessToken: body.access_token, expiresAt: Date.now() + body.expires_in * 1000 };
  } catch (error) {
    const response = (error as { response?: { statusCode?: number; body?: unknown } }).response;
    if (response?.statusCode === 400 || response?.statusCode === 401 || response?.statusCode === 403) {
      let reason = '';
      try {
        reason = (JSON.parse(String(response.body)) as { error_description?: string; error?: string }).error_description ?? '';
      } catch {
        /* not JSON */
      }
      throw new AuthenticationError(
        `Google refused the service account ${key.client_email}${reason ? `: ${reason}` : ''}; check settings.serviceAccountKey (the key may be deleted or disabled)`,
        { code: 'BIGQUERY_TOKEN_REFUSED', httpStatus: response.statusCode },
      );
    }
    throw error;
  }
}

/** A valid access token for the key, from the cache while it lasts; concurrent callers share one exchange. */
export async function accessToken(http: Got, key: ServiceAccountKey): Promise<string> {
  const cacheKey = createHash('sha256').update(key.client_email).update(key.private_key).digest('hex');
  const cached = tokens.get(cacheKey);
  if (cached) {
    const token = await cached.catch(() => undefined);
    if (token && token.expiresAt - REFRESH_MARGIN_MS > Date.now()) return token.accessToken;
    // Someone else started a refresh while we waited: share it.
    if (tokens.get(cacheKey) !== cached) return accessToken(http, key);
  }
  const pending = exchange(http, key);
  tokens.set(cacheKey, pending);
  pending.catch(() => {
    if (tokens.get(cacheKey) === pending) tokens.delete(cacheKey);
  });
  return (await pending).accessToken;
}

/** Forgets cached tokens (tests; after a 401 the next call exchanges again). */
export function forgetTokens(): void {
  tokens.clear();
}
