import {
  defineConnector,
  PermanentError,
  performAsBatchOfOne,
  throwIfFailed,
  Type,
  type BatchResult,
  type CanonicalEvent,
  traitOrPropertyMapping,
} from '@switchyard/sdk-kit';
import { ADS_HOST, type AdsContext } from './ads-client.js';
import { MAX_MEMBERS_PER_JOB, syncCustomerMatch, syncSettings } from './audience-sync.js';
import { runCustomerMatchJob } from './customer-match.js';
import { toEnhancement, uploadEnhancements, type EnhancementPayload } from './enhanced-conversions.js';
import { TOKEN_URL } from './oauth.js';
import { settle } from './results.js';
import { settings, type GoogleAdsSettings } from './settings.js';
import { userIdentifiers, type MatchUser } from './user-identifiers.js';

export { userIdentifiers } from './user-identifiers.js';
export { partialFailureResults, classifyAdsError } from './ads-errors.js';

export const ENTERED = 'Audience Entered';
export const EXITED = 'Audience Exited';

type Context = AdsContext & { settings: GoogleAdsSettings };

const optionalText = () => Type.Optional(Type.String());
const userFields = Type.Object(
  {
    email: optionalText(),
    phone: optionalText(),
    first_name: optionalText(),
    last_name: optionalText(),
    country_code: optionalText(),
    postal_code: optionalText(),
  },
  { description: 'Raw or SHA-256 hashed identifiers; phone numbers need their country code.' },
);

const userMapping = {
  email: { '@firstOf': [traitOrPropertyMapping('email'), { '@path': '$.identities.email' }] },
  phone: { '@firstOf': [traitOrPropertyMapping('phone'), { '@path': '$.identities.phone' }] },
  first_name: traitOrPropertyMapping('firstName'),
  last_name: traitOrPropertyMapping('lastName'),
  country_code: traitOrPropertyMapping('address.country'),
  postal_code: traitOrPropertyMapping('address.postalCode'),
};

const noIdentifier = () =>
  new PermanentError('no identifier Google can match on (email, phone with country code, or name + country + postal code)', {
    code: 'NO_IDENTIFIER',
  }).toResult();

type MemberItem = { payload: { operation: 'create' | 'remove'; user: MatchUser }; event: CanonicalEvent };

async function syncMembers(ctx: Context, items: MemberItem[]): Promise<BatchResult> {
  const results: BatchResult = new Array(items.length).fill(undefined);
  const groups = { create: [] as number[], remove: [] as number[] };
  items.forEach((item, index) => {
    if (!ctx.settings.userListId) results[index] = { status: 'ok', code: 'CUSTOMER_MATCH_OFF' };
    else if (ctx.settings.audienceKey && item.event.properties?.audience_key !== ctx.settings.audienceKey)
      results[index] = { status: 'ok', code: 'OTHER_AUDIENCE' };
    else if (userIdentifiers(item.payload.user).length === 0) results[index] = noIdentifier();
    else groups[item.payload.operation].push(index);
  });
  for (const operation of ['create', 'remove'] as const) {
    const indexes = groups[operation];
    await settle(results, indexes, () =>
      runCustomerMatchJob(
        ctx,
        operation,
        indexes.map((i) => items[i]!.payload.user),
      ),
    );
  }
  return results;
}

type ConversionItem = { payload: EnhancementPayload; event: CanonicalEvent };

async function enhanceConversions(ctx: Context, items: ConversionItem[]): Promise<BatchResult> {
  const results: BatchResult = new Array(items.length).fill(undefined);
  const indexes: number[] = [];
  const adjustments: Record<string, unknown>[] = [];
  items.forEach((item, index) => {
    if (!ctx.settings.conversionActionId) results[index] = { status: 'ok', code: 'CONVERSIONS_OFF' };
    else if (!ctx.settings.conversionEvents.includes(item.event.event ?? '')) results[index] = { status: 'ok', code: 'NOT_A_CONVERSION' };
    else if (!item.payload.order_id && !item.payload.gclid) {
      results[index] = new PermanentError('an enhancement needs the order id or the gclid of the tagged conversion', { code: 'NO_CONVERSION_KEY' }).toResult();
    } else if (userIdentifiers(item.payload.user).length === 0) results[index] = noIdentifier();
    else {
      try {
        adjustments.push(toEnhancement(ctx.settings, item.payload));
        indexes.push(index);
      } catch (error) {
        results[index] = new PermanentError((error as Error).message, { code: 'PAYLOAD_INVALID' }).toResult();
      }
    }
  });
  await settle(results, indexes, () => uploadEnhancements(ctx, adjustments));
  return results;
}

export default defineConnector({
  name: 'google-ads',
  version: '0.1.0',
  category: 'advertising',
  description: 'Google Ads Customer Match (OfflineUserDataJob) from audience syncs or audience membership events, and enhanced conversions for web.',
  settings,
  egress: [ADS_HOST, new URL(TOKEN_URL).host],
  regions: ['us'],
  defaults: { ratePerSecond: 1, maxConcurrency: 1 },
  actions: {
    customerMatch: {
      title: 'Sync Customer Match list',
      description: `track "${ENTERED}" adds the user to the list, "${EXITED}" removes them: one OfflineUserDataJob per batch and operation.`,
      subscribe: { types: ['track'], where: (event) => event.event === ENTERED || event.event === EXITED },
      fields: Type.Object({
        operation: Type.Union([Type.Literal('create'), Type.Literal('remove')]),
        user: userFields,
      }),
      defaultMapping: {
        operation: { '@if': { value: { '@path': '$.event' }, equals: EXITED, then: 'remove', else: 'create' } },
        user: userMapping,
      },
      batch: { maxItems: 10_000 },
      async perform(ctx) {
        await performAsBatchOfOne(ctx, syncMembers);
      },
      performBatch: (ctx) => syncMembers(ctx, ctx.items),
    },
    enhancedConversions: {
      title: 'Enhance web conversions',
      description: 'Conversion events become ENHANCEMENT adjustments (uploadConversionAdjustments) carrying hashed user data.',
      subscribe: { types: ['track'] },
      fields: Type.Object({
        order_id: optionalText(),
        gclid: optionalText(),
        conversion_time: Type.String({ description: 'When the tagged conversion happened (ISO-8601).' }),
        user_agent: optionalText(),
        user: userFields,
      }),
      defaultMapping: {
        order_id: { '@firstOf': [{ '@path': '$.properties.order_id' }, { '@path': '$.properties.orderId' }] },
        gclid: { '@firstOf': [{ '@path': '$.properties.gclid' }, { '@path': '$.context.campaign.gclid' }] },
        conversion_time: { '@path': '$.timestamp' },
        user_agent: { '@path': '$.context.userAgent' },
        user: userMapping,
      },
      batch: { maxItems: 2_000 },
      async perform(ctx) {
        await performAsBatchOfOne(ctx, enhanceConversions);
      },
      performBatch: (ctx) => enhanceConversions(ctx, ctx.items),
    },
  },
  audience: {
    identifiers: ['email', 'phone'],
    maxMembersPerCall: MAX_MEMBERS_PER_JOB,
    advertising: true,
    syncSettings,
    sync: (ctx) => syncCustomerMatch(ctx),
  },
  async onDelete(ctx) {
    const email = ctx.user.identities.email;
    if (!ctx.settings.userListId || !email) return;
    const [result] = await runCustomerMatchJob(ctx, 'remove', [{ email }]);
    throwIfFailed(result);
  },
});
