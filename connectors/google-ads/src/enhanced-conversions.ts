import type { BatchResult } from '@switchyard/sdk-kit';
import { adsPost, digitsOf, type AdsContext, type AdsSettings } from './ads-client.js';
import { partialFailureResults, type RpcStatus } from './ads-errors.js';
import type { GoogleAdsSettings } from './settings.js';
import { userIdentifiers, type MatchUser } from './user-identifiers.js';

export type ConversionSettings = AdsSettings & Pick<GoogleAdsSettings, 'conversionActionId'>;

export interface EnhancementPayload {
  order_id?: string;
  gclid?: string;
  conversion_time: string;
  user_agent?: string;
  user: MatchUser;
}

/** Google's date-time format: `yyyy-mm-dd hh:mm:ss+00:00` (here always in UTC). */
export function toAdsDateTime(iso: string): string {
  const millis = Date.parse(iso);
  if (Number.isNaN(millis)) throw new TypeError(`conversion_time "${iso}" is not an ISO-8601 timestamp`);
  return `${new Date(millis).toISOString().slice(0, 19).replace('T', ' ')}+00:00`;
}

/** A conversion adjustment of type ENHANCEMENT: the tag's conversion (found by order id or gclid + time) plus hashed user data. */
export function toEnhancement(settings: ConversionSettings, payload: EnhancementPayload): Record<string, unknown> {
  const customerId = digitsOf(settings.customerId);
  return {
    conversionAction: `customers/${customerId}/conversionActions/${settings.conversionActionId}`,
    adjustmentType: 'ENHANCEMENT',
    ...(payload.order_id ? { orderId: payload.order_id } : {}),
    ...(payload.gclid ? { gclidDateTimePair: { gclid: payload.gclid, conversionDateTime: toAdsDateTime(payload.conversion_time) } } : {}),
    userIdentifiers: userIdentifiers(payload.user),
    ...(payload.user_agent ? { userAgent: payload.user_agent } : {}),
  };
}

/** customers/<id>:uploadConversionAdjustments with partial failure on; per-adjustment results. */
export async function uploadEnhancements(ctx: AdsContext & { settings: ConversionSettings }, adjustments: Record<string, unknown>[]): Promise<BatchResult> {
  const response = await adsPost<{ partialFailureError?: RpcStatus }>(ctx, `customers/${digitsOf(ctx.settings.customerId)}:uploadConversionAdjustments`, {
    conversionAdjustments: adjustments,
    partialFailure: true,
  });
  return partialFailureResults(response.partialFailureError, adjustments.length, 'conversion_adjustments');
}
