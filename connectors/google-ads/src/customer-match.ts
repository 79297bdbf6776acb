import type { BatchResult } from '@switchyard/sdk-kit';
import { adsPost, digitsOf, type AdsContext, type AdsSettings } from './ads-client.js';
import { partialFailureResults, type RpcStatus } from './ads-errors.js';
import type { GoogleAdsSettings } from './settings.js';
import { userIdentifiers, type MatchUser } from './user-identifiers.js';

export type CustomerMatchSettings = AdsSettings & Pick<GoogleAdsSettings, 'userListId' | 'adUserDataConsent' | 'adPersonalizationConsent'>;

type Context = AdsContext & { settings: CustomerMatchSettings };

function jobMetadata(settings: CustomerMatchSettings) {
  const customerId = digitsOf(settings.customerId);
  const consent = {
    ...(settings.adUserDataConsent ? { adUserData: settings.adUserDataConsent } : {}),
    ...(settings.adPersonalizationConsent ? { adPersonalization: settings.adPersonalizationConsent } : {}),
  };
  return {
    type: 'CUSTOMER_MATCH_USER_LIST',
    customerMatchUserListMetadata: {
      userList: `customers/${customerId}/userLists/${settings.userListId}`,
      ...(Object.keys(consent).length ? { consent } : {}),
    },
  };
}

/**
 * One OfflineUserDataJob: create it for the user list, add one `create` (or `remove`) operation per user with
 * partial failure on, then run it. Returns per-user results; users Google refused fail alone.
 */
export async function runCustomerMatchJob(ctx: Context, operation: 'create' | 'remove', users: MatchUser[]): Promise<BatchResult> {
  const customerId = digitsOf(ctx.settings.customerId);
  const job = await adsPost<{ resourceName: string }>(ctx, `customers/${customerId}/offlineUserDataJobs:create`, {
    job: jobMetadata(ctx.settings),
  });
  const added = await adsPost<{ partialFailureError?: RpcStatus }>(ctx, `${job.resourceName}:addOperations`, {
    enablePartialFailure: true,
    operations: users.map((user) => ({ [operation]: { userIdentifiers: userIdentifiers(user) } })),
  });
  const results = partialFailureResults(added.partialFailureError, users.length, 'operations');
  if (results.some((r) => r === undefined)) await adsPost(ctx, `${job.resourceName}:run`, {});
  return results;
}
