import { createHash, createPrivateKey, createPublicKey, createSign, type KeyObject } from 'node:crypto';
import { AuthenticationError } from '@switchyard/sdk-kit';

/** Snowflake accepts a key-pair JWT for at most an hour; we renew it well before. */
const LIFETIME_SECONDS = 3600;
const RENEW_AFTER_MS = 50 * 60_000;

/**
 * The account part of a key-pair JWT's issuer: the account identifier upper-cased, without the region
 * suffix of a legacy locator (`xy12345.us-east-1` → `XY12345`; `myorg-myaccount` stays `MYORG-MYACCOUNT`).
 */
export function accountForJwt(account: string): string {
  return account.toUpperCase().split('.')[0]!;
}

/** `SHA256:` + base64 of the SHA-256 of the public key's DER (SPKI) bytes, as Snowflake's DESC USER shows it. */
export function publicKeyFingerprint(privateKey: KeyObject): string {
  const der = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  return `SHA256:${createHash('sha256').update(der).digest('base64')}`;
}

export function loadPrivateKey(pem: string, passphrase?: string): KeyObject {
  try {
    return createPrivateKey({ key: pem, ...(passphrase ? { passphrase } : {}) });
  } catch {
    throw new AuthenticationError(
      'settings.privateKey is not a readable PEM private key (or settings.privateKeyPassphrase does not open it): use the rsa_key.p8 you registered with ALTER USER … SET RSA_PUBLIC_KEY',
      { code: 'SNOWFLAKE_KEY_INVALID' },
    );
  }
}

const base64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');

/** A key-pair JWT: iss `<ACCOUNT>.<USER>.SHA256:<fingerprint>`, sub `<ACCOUNT>.<USER>`, RS256-signed. */
export function signKeyPairJwt(account: string, user: string, privateKey: KeyObject, nowSeconds = Math.floor(Date.now() / 1000)): string {
  const qualifiedUser = `${accountForJwt(account)}.${user.toUpperCase()}`;
  const header = base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT' }));
  const claims = base64url(
    JSON.stringify({
      iss: `${qualifiedUser}.${publicKeyFingerprint(privateKey)}`,
      sub: qualifiedUser,
      iat: nowSeconds,
      exp: nowSeconds + LIFETIME_SECONDS,
    }),
  );
  const signature = createSign('RSA-SHA256').update(`${header}.${claims}`).sign(privateKey);
  return `${header}.${claims}.${base64url(signature)}`;
}

/** Keeps one JWT per account, user and key, signing a new one when it is 50 minutes old. */
export class JwtCache {
  private current: { jwt: string; signedAt: number } | undefined;

  constructor(
    private readonly account: string,
    private readonly user: string,
    private readonly key: KeyObject,
  ) {}

  token(now = Date.now()): string {
    if (!this.current || now - this.current.signedAt >= RENEW_AFTER_MS) {
      this.current = { jwt: signKeyPairJwt(this.account, this.user, this.key, Math.floor(now / 1000)), signedAt: now };
    }
    return this.current.jwt;
  }
}
