import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-switchyard-signature';

/** `sha256=<hex HMAC-SHA256 of the raw body>`, the value of the signature header. */
export function signBody(rawBody: string, sharedSecret: string): string {
  return `sha256=${createHmac('sha256', sharedSecret).update(rawBody, 'utf8').digest('hex')}`;
}

/** For receivers: checks a signature header against the raw body in constant time. */
export function verifySignature(rawBody: string, header: string | undefined, sharedSecret: string): boolean {
  if (!header) return false;
  const expected = Buffer.from(signBody(rawBody, sharedSecret));
  const given = Buffer.from(header);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
