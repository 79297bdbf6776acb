import { randomUUID } from 'node:crypto';
import type { CanonicalEvent } from '@switchyard/sdk-kit';
import { canonicalIdentityType } from '../vocabulary/identity-types.js';

export const RECTIFICATION_SOURCE_ID = 'switchyard:rectification';

/**
 * An identify event carrying corrected attributes (`null` = remove the attribute downstream), for the person the
 * identifier names: it carries their profile id and one identifier of each of their types, so every connection
 * can find the person by the identifier it uses.
 */
export function rectificationEvent(
  typeName: string,
  identityValue: string,
  attributes: Record<string, unknown>,
  person?: { profileId: string; identifiers: Array<{ type: string; value: string }> },
): CanonicalEvent {
  const now = new Date().toISOString();
  const identityType = canonicalIdentityType(typeName) ?? typeName;
  const identities: Record<string, string> = {};
  for (const { type, value } of person?.identifiers ?? []) identities[type] ??= value;
  identities[identityType] = identityValue;
  return {
    messageId: randomUUID(),
    type: 'identify',
    ...(identities.user_id !== undefined ? { userId: identities.user_id } : {}),
    ...(identities.anonymous_id !== undefined ? { anonymousId: identities.anonymous_id } : {}),
    identities,
    ...(person ? { profileId: person.profileId } : {}),
    traits: attributes,
    properties: {},
    context: { library: { name: 'switchyard-rectification' } },
    timestamp: now,
    receivedAt: now,
    sourceId: RECTIFICATION_SOURCE_ID,
  };
}
