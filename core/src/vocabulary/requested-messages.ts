import type { CanonicalEvent } from '@switchyard/sdk-kit';

/** The source of the messages a person asks the router to send them (the request page's verification mail). */
export const REQUESTED_MESSAGE_SOURCE_ID = 'switchyard:privacy-requests';

/**
 * A message the person asked for, to the address they gave: a service they requested, not processing their consent
 * or a suppression governs (an unknown or suppressed address must get the same mail, or the page would tell).
 */
export function isRequestedMessage(event: Pick<CanonicalEvent, 'sourceId'>): boolean {
  return event.sourceId === REQUESTED_MESSAGE_SOURCE_ID;
}
