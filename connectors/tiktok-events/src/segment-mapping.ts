import { PermanentError, sha256Identifier, Type, type AudienceSyncContext, type BatchResult } from '@switchyard/sdk-kit';
import { tikTokError, type TikTokResponse } from './tiktok-errors.js';

export const SEGMENT_MAPPING_URL = 'https://business-api.tiktok.com/open_api/v1.3/segment/mapping/';

/** People per segment mapping request (the 1,000-record batches audience connectors send TikTok). */
export const MAX_MAPPINGS = 1000;

/** Identifier types TikTok maps into audience segments, and the id_schema column of each (hashed with SHA-256). */
const ID_SCHEMA = { email: 'EMAIL_SHA256', phone: 'PHONE_SHA256', ios_idfa: 'IDFA_SHA256', android_aaid: 'GAID_SHA256' } as const;
export const AUDIENCE_IDENTIFIERS = Object.keys(ID_SCHEMA) as Array<keyof typeof ID_SCHEMA>;

export const syncSettings = Type.Object(
  { audienceId: Type.String({ pattern: '^[0-9]+$', description: 'The audience segment (from TikTok /segment/audience/) this sync keeps.' }) },
  { additionalProperties: false },
);

export interface SegmentSettings {
  advertiserId?: string;
  marketingAccessToken?: string;
}

type SyncContext = AudienceSyncContext<SegmentSettings, { audienceId: string }>;

/**
 * POST /segment/mapping/: one row per person in `batch_data`, one column per `id_schema` entry the chunk uses; a
 * person without an identifier of a column gets `{}` there. Values are SHA-256 of the normalised identifier
 * (emails lower-cased, phones in E.164, advertising ids lower-cased).
 */
export function segmentMappingBody(ctx: Pick<SyncContext, 'members' | 'action' | 'sync'>, advertiserId: string): Record<string, unknown> {
  const columns = AUDIENCE_IDENTIFIERS.filter((type) => ctx.members.some((m) => m.identifiers[type] !== undefined));
  const audienceIds = [ctx.sync.audienceId];
  return {
    advertiser_ids: [advertiserId],
    action: ctx.action === 'add' ? 'add' : 'delete',
    id_schema: columns.map((type) => ID_SCHEMA[type]),
    batch_data: ctx.members.map((member) =>
      columns.map((type) => {
        const value = member.identifiers[type];
        return value === undefined ? {} : { id: sha256Identifier(value), audience_ids: audienceIds };
      }),
    ),
  };
}

/** Adds people to the sync's audience segment, or deletes them from it. TikTok answers errors in the body of a 200. */
export async function syncSegment(ctx: SyncContext): Promise<BatchResult> {
  const { advertiserId, marketingAccessToken } = ctx.settings;
  if (!advertiserId || !marketingAccessToken) {
    const missing = new PermanentError('audience syncs need the advertiserId and marketingAccessToken settings of the connection', {
      code: 'AUDIENCES_NOT_CONFIGURED',
    }).toResult();
    return ctx.members.map(() => missing);
  }
  const response = await ctx.http
    .post(SEGMENT_MAPPING_URL, { json: segmentMappingBody(ctx, advertiserId), headers: { 'access-token': marketingAccessToken }, signal: ctx.signal })
    .json<TikTokResponse>();
  if (response.code !== 0) throw tikTokError(response);
  return [];
}
