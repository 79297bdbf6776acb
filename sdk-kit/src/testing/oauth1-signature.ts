import { createHmac } from 'node:crypto';

/** RFC 3986 percent-encoding, as OAuth 1.0a (RFC 5849 §3.6) requires. */
const encode = (text: string) => encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const decode = (text: string) => decodeURIComponent(text.replace(/\+/g, ' '));

/**
 * Checks an `Authorization: OAuth …` header (HMAC-SHA1) the way the server does (RFC 5849 §3.4), written from the
 * specification independently of the signer connectors use. `secrets` maps consumer keys and tokens to their secrets;
 * `form` holds the form-encoded body parameters, if any. Returns what is wrong, or undefined when the signature holds.
 */
export function verifyOAuth1Signature(
  request: { method: string; url: string; headers: Record<string, string>; form?: Record<string, string> },
  secrets: { consumers: Record<string, string>; tokens: Record<string, string> },
): string | undefined {
  const header = request.headers.authorization ?? '';
  if (!header.startsWith('OAuth ')) return 'no OAuth authorization header';
  const oauth = Object.fromEntries([...header.slice(6).matchAll(/([a-z_]+)="([^"]*)"/g)].map((m) => [m[1]!, decode(m[2]!)]));
  for (const field of ['oauth_consumer_key', 'oauth_nonce', 'oauth_signature', 'oauth_signature_method', 'oauth_timestamp', 'oauth_token']) {
    if (!oauth[field]) return `${field} is missing`;
  }
  if (oauth.oauth_signature_method !== 'HMAC-SHA1') return `unsupported signature method ${oauth.oauth_signature_method}`;
  const consumerSecret = secrets.consumers[oauth.oauth_consumer_key!];
  const tokenSecret = secrets.tokens[oauth.oauth_token!];
  if (consumerSecret === undefined || tokenSecret === undefined) return 'unknown consumer key or token';
  const url = new URL(request.url);
  const params: Array<[string, string]> = [
    ...[...url.searchParams].map(([k, v]) => [k, v] as [string, string]),
    ...Object.entries(request.form ?? {}),
    ...Object.entries(oauth).filter(([k]) => k !== 'oauth_signature' && k !== 'realm'),
  ];
  const normalized = params
    .map(([k, v]) => [encode(k), encode(v)] as const)
    .sort(([ak, av], [bk, bv]) => (ak === bk ? (av < bv ? -1 : 1) : ak < bk ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const base = [request.method.toUpperCase(), encode(`${url.protocol}//${url.host}${url.pathname}`), encode(normalized)].join('&');
  const expected = createHmac('sha1', `${encode(consumerSecret)}&${encode(tokenSecret)}`)
    .update(base)
    .digest('base64');
  return expected === oauth.oauth_signature ? undefined : `signature does not match; base string was ${base}`;
}
