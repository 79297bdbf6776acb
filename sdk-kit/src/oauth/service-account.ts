import { createHash, createSign } from 'node:crypto';
import type { Got } from 'got';
import { AuthenticationError } from '../errors.js';

/** Google's OAuth 2.0 token endpoint, the audience of service-account assertions. */
export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';

export interface ServiceAccountKey {
  client_email: string;
  private_key: string;
  project_id?: string;
}

export interface ServiceAccountOptions {
  /** Where the key is in the settings, for error messages; default `settings.serviceAccountKey`. */
  setting?: string;
  /** Prefix of the error codes (`<prefix>_KEY_INVALID`, `<prefix>_TOKEN_REFUSED`); default `SERVICE_ACCOUNT`. */
  codePrefix?: string;
}

/** Reads a Google service-account JSON key from settings; the error names the setting, never the key. */
export function parseServiceAccountKey(json: string, options: ServiceAccountOptions = {}): ServiceAccountKey {
  const { setting = 'settings.serviceAccountKey', codePrefix = 'SERVICE_ACCOUNT' } = options;
  let key: Partial<ServiceAccountKey>;
  try {
    key = JSON.parse(json) as Partial<ServiceAccountKey>;
  } catch {
    throw new AuthenticationError(`${setting} is not valid JSON: paste the whole JSON key file of the service account`, { code: `${codePrefix}_KEY_INVALID` });
  }
  if (typeof key.client_email !== 'string' || typeof key.private_key !== 'string' || !key.private_key.includes('PRIVATE KEY')) {
    throw new AuthenticationError(`${setting} lacks client_email or private_key: use a JSON key created under IAM → Service accounts → Keys`, {
      code: `${codePrefix}_KEY_INVALID`,
    });
  }
  return key as ServiceAccountKey;
}

const base64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');

/** An RS256-signed JWT asserting the service account for `scope`, for Google's JWT-bearer grant (RFC 7523). */
export function signServiceAccountAssertion(key: ServiceAccountKey, scope: string, nowSeconds = Math.floor(Date.now() / 1000)): string {
  const header = base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT' }));
  const claims = base64url(JSON.stringify({ iss: key.client_email, scope, aud: GOOGLE_TOKEN_URL, iat: nowSeconds, exp: nowSeconds + 3600 }));
  const signature = createSign('RSA-SHA256').update(`${header}.${claims}`).sign(key.private_key);
  return `${header}.${claims}.${base64url(signature)}`;
}

interface CachedToken {
  accessToken: string;
  expiresAt: number;
}

// Access tokens last an hour; one per service account and scope per thread, refreshed a minute before expiry.
const tokens = new Map<string, Promise<CachedToken>>();
const REFRESH_MARGIN_MS = 60_000;

async function exchange(http: Got, key: ServiceAccountKey, scope: string, options: ServiceAccountOptions): Promise<CachedToken> {
  const { setting = 'settings.serviceAccountKey', codePrefix = 'SERVICE_ACCOUNT' } = options;
  try {
    const body = await http
      .post(GOOGLE_TOKEN_URL, { form: { grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: signServiceAccountAssertion(key, scope) } })
      .json<{ access_token: string; expires_in: number }>();
    return { accessToken: body.access_token, expiresAt: Date.now() + body.expires_in * 1000 };
  } catch (error) {
    const response = (error as { response?: { statusCode?: number; body?: unknown } }).response;
    if (response?.statusCode === 400 || response?.statusCode === 401 || response?.statusCode === 403) {
      let reason = '';
      try {
        reason = (JSON.parse(String(response.body)) as { error_description?: string }).error_description ?? '';
      } catch {
        /* not JSON */
      }
      throw new AuthenticationError(
        `Google refused the service account ${key.client_email}${reason ? `: ${reason}` : ''}; check ${setting} (the key may be deleted or disabled)`,
        { code: `${codePrefix}_TOKEN_REFUSED`, httpStatus: response.statusCode },
      );
    }
    throw error;
  }
}

/**
 * A Google access token for the service account and scope, from the cache while it lasts; concurrent callers share
 * one exchange. The token endpoint's host, oauth2.googleapis.com, must be among the connector's egress hosts.
 */
export async function serviceAccountAccessToken(http: Got, key: ServiceAccountKey, scope: string, options: ServiceAccountOptions = {}): Promise<string> {
  const cacheKey = createHash('sha256').update(key.client_email).update(key.private_key).update(scope).digest('hex');
  const cached = tokens.get(cacheKey);
  if (cached) {
    const token = await cached.catch(() => undefined);
    if (token && token.expiresAt - REFRESH_MARGIN_MS > Date.now()) return token.accessToken;
    // Someone else started a refresh while we waited: share it.
    if (tokens.get(cacheKey) !== cached) return serviceAccountAccessToken(http, key, scope, options);
  }
  const pending = exchange(http, key, scope, options);
  tokens.set(cacheKey, pending);
  pending.catch(() => {
    if (tokens.get(cacheKey) === pending) tokens.delete(cacheKey);
  });
  return (await pending).accessToken;
}

/** Forgets every cached service-account token (tests; after the API refused a token). */
export function forgetServiceAccountTokens(): void {
  tokens.clear();
}
