import { randomUUID } from 'node:crypto';
import type { CanonicalEvent } from '@switchyard/sdk-kit';
import { REQUESTED_MESSAGE_SOURCE_ID } from '../vocabulary/requested-messages.js';
import { REQUEST_KINDS, type RequestKind } from './request-form.js';

export const VERIFICATION_EVENT = 'Privacy Request Verification';

/**
 * The verification mail as an event for the email connection: a track event whose traits carry the recipient (as
 * an email connector reads them) and whose properties carry the one-time link. It names no identity, so it is
 * routed to nobody else and indexed under no one.
 */
export function verificationMail(to: string, link: string, kind: RequestKind, expiresAt: Date, siteName: string): CanonicalEvent {
  const now = new Date().toISOString();
  return {
    messageId: randomUUID(),
    type: 'track',
    event: VERIFICATION_EVENT,
    identities: {},
    traits: { email: to },
    properties: {
      verification_url: link,
      request_type: kind,
      request_label: REQUEST_KINDS[kind].label,
      expires_at: expiresAt.toISOString(),
      site_name: siteName,
    },
    context: { library: { name: 'switchyard-privacy-pages' } },
    timestamp: now,
    receivedAt: now,
    sourceId: REQUESTED_MESSAGE_SOURCE_ID,
  };
}
