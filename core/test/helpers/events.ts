import { randomUUID } from 'node:crypto';
import type { CanonicalEvent } from '@switchyard/sdk-kit';
import type { AcceptedEvent } from '../../src/index.js';
import { identityKeysOf } from '../../src/vocabulary/identity-types.js';

export function trackEvent(overrides: Partial<CanonicalEvent> = {}): CanonicalEvent {
  const now = new Date().toISOString();
  return {
    messageId: randomUUID(),
    type: 'track',
    event: 'Order Completed',
    userId: 'user-1',
    identities: { user_id: 'user-1' },
    traits: {},
    properties: { total: 42 },
    context: {},
    timestamp: now,
    receivedAt: now,
    sourceId: 'web',
    ...overrides,
  };
}

export function accepted(event: CanonicalEvent, connectionIds: string[]): AcceptedEvent {
  return {
    messageId: event.messageId,
    sourceId: event.sourceId,
    body: JSON.stringify(event),
    identityKeys: identityKeysOf(event.identities),
    connectionIds,
    // Queued without a routing decision: the privacy gate checks it again before delivery.
    privacyVersion: 0,
  };
}
