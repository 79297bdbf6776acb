import { Type, type AudienceMember, type AudienceSyncContext } from '@switchyard/sdk-kit';
import type { AudienceUser } from './audience-rows.js';

/** Identifier types Meta matches customer-list rows on, in the order a row is filled from them. */
export const AUDIENCE_IDENTIFIERS = ['email', 'phone', 'ios_idfa', 'android_aaid', 'advertising_id', 'user_id'] as const;

export const syncSettings = Type.Object(
  {
    audienceId: Type.Optional(
      Type.String({ pattern: '^[0-9]+$', description: "The Custom Audience (customer list) this sync keeps; default: the connection's audienceId." }),
    ),
  },
  { additionalProperties: false },
);

export type SyncContext<Settings> = AudienceSyncContext<Settings, { audienceId?: string }>;

/**
 * A member as one row of Meta's multi-key schema: EMAIL and PHONE are hashed by `toAudiencePayload` (phones as
 * digits with the country code), the first mobile advertising id is MADID, the user id EXTERN_ID.
 */
export function toAudienceUser({ identifiers }: AudienceMember): AudienceUser {
  return {
    email: identifiers.email,
    phone: identifiers.phone,
    mobile_advertiser_id: identifiers.ios_idfa ?? identifiers.android_aaid ?? identifiers.advertising_id,
    external_id: identifiers.user_id,
  };
}
