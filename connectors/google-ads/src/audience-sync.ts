import { PermanentError, Type, type AudienceSyncContext, type BatchResult } from '@switchyard/sdk-kit';
import type { AdsContext } from './ads-client.js';
import { runCustomerMatchJob, type CustomerMatchSettings } from './customer-match.js';
import type { GoogleAdsSettings } from './settings.js';

/** Operations per OfflineUserDataJob this connector sends (Google takes up to 100,000 per addOperations request). */
export const MAX_MEMBERS_PER_JOB = 10_000;

const consent = (what: string) =>
  Type.Optional(
    Type.Union([Type.Literal('GRANTED'), Type.Literal('DENIED')], {
      description: `Consent for ${what} sent with this sync's jobs; default: the connection's.`,
    }),
  );

export const syncSettings = Type.Object(
  {
    userListId: Type.Optional(
      Type.String({ pattern: '^[0-9]+$', description: "The Customer Match user list this sync keeps; default: the connection's userListId." }),
    ),
    adUserDataConsent: consent('ad user data'),
    adPersonalizationConsent: consent('ad personalization'),
  },
  { additionalProperties: false },
);

type Sync = { userListId?: string; adUserDataConsent?: 'GRANTED' | 'DENIED'; adPersonalizationConsent?: 'GRANTED' | 'DENIED' };
type Context = AudienceSyncContext<GoogleAdsSettings, Sync> & AdsContext;

/**
 * One OfflineUserDataJob per call for the sync's user list: `create` operations add the people, `remove` operations
 * remove them, each with the hashed email and phone the person has.
 */
export async function syncCustomerMatch(ctx: Context): Promise<BatchResult> {
  const userListId = ctx.sync.userListId ?? ctx.settings.userListId;
  if (!userListId) {
    const missing = new PermanentError('the audience sync names no user list: set userListId in the sync settings or in the connection settings', {
      code: 'NO_USER_LIST',
    }).toResult();
    return ctx.members.map(() => missing);
  }
  const settings: CustomerMatchSettings = {
    ...ctx.settings,
    userListId,
    adUserDataConsent: ctx.sync.adUserDataConsent ?? ctx.settings.adUserDataConsent,
    adPersonalizationConsent: ctx.sync.adPersonalizationConsent ?? ctx.settings.adPersonalizationConsent,
  };
  const users = ctx.members.map(({ identifiers }) => ({ email: identifiers.email, phone: identifiers.phone }));
  return runCustomerMatchJob({ ...ctx, settings }, ctx.action === 'add' ? 'create' : 'remove', users);
}
