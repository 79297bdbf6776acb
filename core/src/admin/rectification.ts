import { randomUUID } from 'node:crypto';
import type { CanonicalEvent } from '@switchyard/sdk-kit';
import { canonicalIdentityType } from '../identity/identity-types.js';

export const RECTIFICATION_SOURCE_ID = 'switchyard:rectification';

/** An identify event carrying corrected attributes (`null` = remove the attribute downstream). */
export function rectificationEvent(typeName: string, identityValue: string, attributes: Record<string, unknown>): CanonicalEvent {
  const now = new Date().toISOString();
  const identityType = canonicalIdentityType(typeName) ?? typeName;
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
