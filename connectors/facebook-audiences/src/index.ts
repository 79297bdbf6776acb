import { randomInt } from 'node:crypto';
import {
  classifyError,
  defineConnector,
  PermanentError,
  performAsBatchOfOne,
  Type,
  type BatchResult,
  type CanonicalEvent,
  type PerformContext,
  traitOrPropertyMapping,
} from '@switchyard/sdk-kit';
import { GRAPH_HOST, graphApiVersion, graphUrl, toGraphError } from '@switchyard/sdk-kit/meta-graph';
import { hasIdentifier, toAudiencePayload, type AudienceUser } from './audience-rows.js';
import { AUDIENCE_IDENTIFIERS, syncSettings, toAudienceUser } from './audience-sync.js';

export { toAudiencePayload, SCHEMA_KEYS } from './audience-rows.js';

/** Rows per request Meta accepts on /{audience_id}/users; the runtime's batches are cut to this size. */
export const MAX_ROWS_PER_REQUEST = 10_000;
export const ENTERED = 'Audience Entered';
export const EXITED = 'Audience Exited';

const settings = Type.Object(
  {
    audienceId: Type.String({ pattern: '^[0-9]+$', description: 'The Custom Audience (customer list) id users are added to and removed from.' }),
    accessToken: Type.String({ secret: true, minLength: 10, description: 'A system-user token with ads_management on the ad account.' }),
    apiVersion: graphApiVersion(),
    audienceKey: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'Only membership events whose properties.audience_key equals this; all membership events when unset.',
      }),
    ),
    adAccountId: Type.Optional(
      Type.String({
        pattern: '^[0-9]+$',
        description: 'Ad account id (without act_); when set, erasure removes the user from every custom audience of the account.',
      }),
    ),
  },
  { additionalProperties: false },
);

type Settings = typeof settings.static;
type Context = Pick<PerformContext<Settings, unknown>, 'http' | 'settings' | 'signal' | 'log'>;

const optionalText = () => Type.Optional(Type.String());
const fields = Type.Object({
  operation: Type.Union([Type.Literal('add'), Type.Literal('remove')], { description: 'add on Audience Entered, remove on Audience Exited.' }),
  user: Type.Object(
    {
      email: optionalText(),
      phone: optionalText(),
      first_name: optionalText(),
      last_name: optionalText(),
      city: optionalText(),
      state: optionalText(),
      zip: optionalText(),
      country: optionalText(),
      external_id: optionalText(),
      mobile_advertiser_id: optionalText(),
    },
    { description: "Raw or already-hashed identifiers; hashed by Meta's rules before sending." },
  ),
});

function isMembershipEvent(event: CanonicalEvent, audienceKey: string | undefined): boolean {
  if (event.event !== ENTERED && event.event !== EXITED) return false;
  return audienceKey === undefined || event.properties?.audience_key === audienceKey;
}

interface Row {
  user: AudienceUser;
  index: number;
}

/**
 * The `session` Meta requires with every users upload. Each request is a whole upload of its own: one batch, the
 * last, with a fresh id (a positive integer JSON keeps exactly).
 */
function uploadSession(rows: number) {
  return { session_id: randomInt(1, 2 ** 47), batch_seq: 1, last_batch_flag: true, estimated_num_total: rows };
}

async function sendUsers(ctx: Context, method: 'POST' | 'DELETE', path: string, users: AudienceUser[]): Promise<void> {
  const { apiVersion, accessToken } = ctx.settings;
  try {
    const response = await ctx
      .http(graphUrl(apiVersion, path), {
        method,
        json: { session: uploadSession(users.length), payload: toAudiencePayload(users), access_token: accessToken },
        signal: ctx.signal,
      })
      .json<{ num_received?: number; num_invalid_entries?: number }>();
    if (response.num_invalid_entries) {
      ctx.log.warn({ received: response.num_received, invalid: response.num_invalid_entries }, 'Meta could not use some audience rows');
    }
  } catch (error) {
    throw toGraphError(error);
  }
}

/** One request per operation; rows without any identifier fail on their own without a request. */
async function sendRows(ctx: Context, method: 'POST' | 'DELETE', rows: Row[], results: BatchResult): Promise<void> {
  const sendable = rows.filter((row) => {
    if (hasIdentifier(row.user)) return true;
    results[row.index] = new PermanentError('no identifier Meta can match on (email, phone, name, external id, …)', { code: 'NO_IDENTIFIER' }).toResult();
    return false;
  });
  if (sendable.length === 0) return;
  try {
    await sendUsers(
      ctx,
      method,
      `${ctx.settings.audienceId}/users`,
      sendable.map((r) => r.user),
    );
  } catch (error) {
    const failed = classifyError(error);
    for (const row of sendable) results[row.index] = failed;
  }
}

export default defineConnector({
  name: 'facebook-audiences',
  version: '0.1.0',
  category: 'advertising',
  description: 'Adds users to and removes them from a Meta Custom Audience (customer list): from audience syncs, or from audience membership track events.',
  settings,
  egress: [GRAPH_HOST],
  regions: ['us'],
  defaults: { ratePerSecond: 5, maxConcurrency: 1 },
  actions: {
    syncAudience: {
      title: 'Sync audience membership',
      description: `track "${ENTERED}" adds the user, "${EXITED}" removes them (up to 10,000 users per request; adds and removes in separate requests).`,
      subscribe: { types: ['track'], where: (event) => isMembershipEvent(event, undefined) },
      fields,
      defaultMapping: {
        operation: { '@if': { value: { '@path': '$.event' }, equals: EXITED, then: 'remove', else: 'add' } },
        user: {
          email: { '@firstOf': [traitOrPropertyMapping('email'), { '@path': '$.identities.email' }] },
          phone: { '@firstOf': [traitOrPropertyMapping('phone'), { '@path': '$.identities.phone' }] },
          first_name: traitOrPropertyMapping('firstName'),
          last_name: traitOrPropertyMapping('lastName'),
          city: traitOrPropertyMapping('address.city'),
          state: traitOrPropertyMapping('address.state'),
          zip: traitOrPropertyMapping('address.postalCode'),
          country: traitOrPropertyMapping('address.country'),
          external_id: { '@path': '$.userId' },
        },
      },
      batch: { maxItems: MAX_ROWS_PER_REQUEST },
      async perform(ctx) {
        await performAsBatchOfOne(ctx, runMembership);
      },
      async performBatch(ctx) {
        return runMembership(ctx, ctx.items);
      },
    },
  },
  audience: {
    identifiers: AUDIENCE_IDENTIFIERS,
    maxMembersPerCall: MAX_ROWS_PER_REQUEST,
    advertising: true,
    syncSettings,
    // One request per call: POST adds the rows, DELETE removes them; Meta reports only counts, so all members share its answer.
    async sync(ctx) {
      const audienceId = ctx.sync.audienceId ?? ctx.settings.audienceId;
      await sendUsers(ctx, ctx.action === 'add' ? 'POST' : 'DELETE', `${audienceId}/users`, ctx.members.map(toAudienceUser));
    },
  },
  async onDelete(ctx) {
    const { email, user_id: userId } = ctx.user.identities;
    const user: AudienceUser = { email, external_id: userId };
    if (!hasIdentifier(user)) return;
    // usersofanyaudience removes the user from every custom audience of the ad account, not only this one.
    const path = ctx.settings.adAccountId ? `act_${ctx.settings.adAccountId}/usersofanyaudience` : `${ctx.settings.audienceId}/users`;
    await sendUsers(ctx, 'DELETE', path, [user]);
  },
});

type Item = { payload: { operation: 'add' | 'remove'; user: AudienceUser }; event: CanonicalEvent };

/** Splits items into adds and removes (separate requests) and returns per-item results in input order. */
async function runMembership(ctx: Context, items: Item[]): Promise<BatchResult> {
  const results: BatchResult = new Array(items.length).fill(undefined);
  const rows = items.flatMap((item, index) => {
    if (!isMembershipEvent(item.event, ctx.settings.audienceKey)) {
      results[index] = { status: 'ok', code: 'OTHER_AUDIENCE' };
      return [];
    }
    return [{ user: item.payload.user, index, operation: item.payload.operation }];
  });
  await sendRows(
    ctx,
    'POST',
    rows.filter((r) => r.operation === 'add'),
    results,
  );
  await sendRows(
    ctx,
    'DELETE',
    rows.filter((r) => r.operation === 'remove'),
    results,
  );
  return results;
}
