import { randomUUID } from 'node:crypto';
import { actionTakes, selectActions, type CanonicalEvent } from '@switchyard/sdk-kit';
import type { RuntimeConnection } from '../delivery/delivery-runtime.js';

export const RECTIFICATION_SOURCE_ID = 'switchyard:rectification';

/** An identify event carrying corrected attributes (`null` = remove the attribute downstream). */
export function rectificationEvent(identityType: string, identityValue: string, attributes: Record<string, unknown>): CanonicalEvent {
  const now = new Date().toISOString();
  return {
    messageId: randomUUID(),
    type: 'identify',
    ...(identityType === 'user_id' ? { userId: identityValue } : {}),
    ...(identityType === 'anonymous_id' ? { anonymousId: identityValue } : {}),
    identities: { [identityType]: identityValue },
    traits: attributes,
    properties: {},
    context: { library: { name: 'switchyard-rectification' } },
    timestamp: now,
    receivedAt: now,
    sourceId: RECTIFICATION_SOURCE_ID,
  };
}

/** Connections with an enabled action that takes identify events, whatever their sources. */
export function connectionsTakingEvent(event: CanonicalEvent, connections: RuntimeConnection[]): string[] {
  return connections
    .filter((c) => selectActions({ connector: c.connector, enabledActions: c.enabledActions }).some(([, action]) => actionTakes(action, event)))
    .map((c) => c.id);
}
