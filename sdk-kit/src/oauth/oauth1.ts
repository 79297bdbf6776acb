import { createHmac, randomBytes } from 'node:crypto';
import OAuth from 'oauth-1.0a';

export interface OAuth1Credentials {
  consumerKey: string;
  consumerSecret: string;
  /** The user's access token and its secret. */
  token: string;
  tokenSecret: string;
}

export interface OAuth1Request {
  method: string;
  /** With its query string: query parameters are signed. */
  url: string;
  /** Form-encoded body parameters, which OAuth 1.0a signs too; a JSON body is not signed. */
  form?: Record<string, string>;
}

/** Fixed values for reproducible signatures (tests, published examples); random nonce and the current time otherwise. */
export interface OAuth1Overrides {
  nonce?: string;
  timestamp?: number;
}

/**
 * The `Authorization: OAuth …` header of a request signed with OAuth 1.0a, HMAC-SHA1 (the `oauth-1.0a` library), as
 * the X (Twitter) APIs take it.
 */
export function oauth1Authorization(request: OAuth1Request, credentials: OAuth1Credentials, overrides: OAuth1Overrides = {}): string {
  const oauth = new OAuth({
    consumer: { key: credentials.consumerKey, secret: credentials.consumerSecret },
    signature_method: 'HMAC-SHA1',
    hash_function: (base, key) => createHmac('sha1', key).update(base).digest('base64'),
  });
  const fixed = oauth as unknown as { getNonce(): string; getTimeStamp(): number };
  fixed.getNonce = () => overrides.nonce ?? randomBytes(16).toString('hex');
  fixed.getTimeStamp = () => overrides.timestamp ?? Math.floor(Date.now() / 1000);
  const signed = oauth.authorize(
    {
      url: request.url,
      method: request.method,
      // A copy: the library adds the query parameters to the object it is given.
      ...(request.form ? { data: { ...request.form } } : {}),
    },
    { key: credentials.token, secret: credentials.tokenSecret },
  );
  return oauth.toHeader(signed).Authorization;
}
