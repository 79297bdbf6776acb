import { parseBasicAuth } from './basic-auth.js';
import { constantTimeEqual } from './constant-time-equal.js';

/** What checking an mParticle source's credentials found; each API answers a failure with its own status. */
export type CredentialCheck<S> = { source: S } | { failure: 'missing' | 'mismatch' };

/**
 * `Authorization: Basic base64(apiKey:apiSecret)` against the mParticle sources (Events API and IDSync alike).
 * An unknown key and a wrong secret are one failure, so an answer never tells which keys exist.
 */
export function matchBasicCredentials<S extends { apiSecret: string }>(
  authorization: string | undefined,
  sourcesByApiKey: ReadonlyMap<string, S>,
): CredentialCheck<S> {
  const credentials = parseBasicAuth(authorization);
  if (!credentials?.user) return { failure: 'missing' };
  const source = sourcesByApiKey.get(credentials.user);
  if (!source || !constantTimeEqual(source.apiSecret, credentials.password)) return { failure: 'mismatch' };
  return { source };
}
