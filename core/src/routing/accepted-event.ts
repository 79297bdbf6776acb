import type { CanonicalEvent } from '@switchyard/sdk-kit';
import { eventIdentityKeys } from '../vocabulary/identity-types.js';
import type { AcceptedEvent } from '../types.js';

/** The queue record of a canonical event for these connections: serialised once (`body`, when the caller has it), indexed by identity. */
export function acceptedEvent(
  event: CanonicalEvent,
  connectionIds: string[],
  privacyVersion: number,
  identityKeys = eventIdentityKeys(event),
  body = JSON.stringify(event),
): AcceptedEvent {
  return {
    messageId: event.messageId,
    sourceId: event.sourceId,
    body,
    identityKeys,
    connectionIds,
    privacyVersion,
  };
}
