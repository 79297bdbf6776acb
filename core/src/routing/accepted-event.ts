import type { CanonicalEvent } from '@switchyard/sdk-kit';
import { eventIdentityKeys } from '../vocabulary/identity-types.js';
import type { AcceptedEvent } from '../types.js';

/** The queue record of a canonical event for these connections: serialised once, indexed by identity. */
export function acceptedEvent(event: CanonicalEvent, connectionIds: string[], privacyVersion: number, identityKeys = eventIdentityKeys(event)): AcceptedEvent {
  return {
    messageId: event.messageId,
    sourceId: event.sourceId,
    body: JSON.stringify(event),
    identityKeys,
    connectionIds,
    privacyVersion,
  };
}
