import { createHmac } from 'node:crypto';
import { constantTimeEqual } from './constant-time-equal.js';

/** A signed request older or newer than this (by its `Date` header) is refused, so a captured one cannot be replayed later. */
export const SIGNATURE_MAX_AGE_MS = 15 * 60 * 1000;

export interface SignedRequest {
  method: string;
  /** The request's path with its query string, as sent. */
  path: string;
  /** The `Date` header: ISO 8601 basic (`20170712T224127Z`) as mParticle documents, or an HTTP date as the Android SDK sends. */
  date: string | undefined;
  /** The body as signed: the JSON text before any Content-Encoding. */
  body: string;
  signature: string | undefined;
}

export type SignatureCheck = 'valid' | 'missing' | 'stale' | 'mismatch';

/**
 * mParticle's HMAC digest authentication (the mobile SDKs' `x-mp-signature`): hex HMAC-SHA256, keyed with the UTF-8
 * bytes of the API secret, of `METHOD\nDATE\nPATH` followed directly by the body.
 */
export function signMparticleRequest(secret: string, request: Omit<SignedRequest, 'signature'> & { date: string }): string {
  return createHmac('sha256', Buffer.from(secret, 'utf8')).update(`${request.method}\n${request.date}\n${request.path}${request.body}`, 'utf8').digest('hex');
}

export function checkMparticleSignature(secret: string, request: SignedRequest, nowMs = Date.now()): SignatureCheck {
  if (!request.signature || !request.date) return 'missing';
  const sentAt = parseSignatureDate(request.date);
  if (sentAt === undefined || Math.abs(nowMs - sentAt) > SIGNATURE_MAX_AGE_MS) return 'stale';
  const expected = signMparticleRequest(secret, { ...request, date: request.date });
  return constantTimeEqual(expected, request.signature.trim().toLowerCase()) ? 'valid' : 'mismatch';
}

function parseSignatureDate(date: string): number | undefined {
  const basic = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(date.trim());
  const ms = basic ? Date.UTC(+basic[1]!, +basic[2]! - 1, +basic[3]!, +basic[4]!, +basic[5]!, +basic[6]!) : Date.parse(date);
  return Number.isFinite(ms) ? ms : undefined;
}
