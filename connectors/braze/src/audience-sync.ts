import { Type, type AudienceMember, type AudienceSyncContext, type BatchResult } from '@switchyard/sdk-kit';
import type { BrazeSettings } from './settings.js';
import { track, type Context, type Entry } from './users-track.js';

/** Braze finds a profile by external_id, email or phone: one of them per attributes object, in this order. */
export const AUDIENCE_IDENTIFIERS = ['user_id', 'email', 'phone'] as const;
const BRAZE_IDENTIFIER: Record<(typeof AUDIENCE_IDENTIFIERS)[number], string> = { user_id: 'external_id', email: 'email', phone: 'phone' };

export const syncSettings = Type.Object(
  {
    mode: Type.Union([Type.Literal('boolean'), Type.Literal('array')], {
      default: 'boolean',
      description:
        'boolean: the attribute is true while the person is in the audience; array: the audience key is added to and removed from an array attribute.',
    }),
    attribute: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 255,
        pattern: '^[^$]',
        description: 'The custom attribute; default: the audience key (boolean), "audiences" (array).',
      }),
    ),
    updateExistingOnly: Type.Boolean({ default: false, description: 'Only update people Braze already has (_update_existing_only), never create them.' }),
  },
  { additionalProperties: false },
);

type Sync = { mode: 'boolean' | 'array'; attribute?: string; updateExistingOnly: boolean };
type SyncContext = AudienceSyncContext<BrazeSettings, Sync> & Context;

function identifierOf(member: AudienceMember): Record<string, string> {
  const type = AUDIENCE_IDENTIFIERS.find((t) => member.identifiers[t] !== undefined)!;
  return { [BRAZE_IDENTIFIER[type]]: member.identifiers[type]! };
}

/** One attributes object per person, through /users/track (75 a request): the custom attribute says who is in. */
export async function syncAttribute(ctx: SyncContext): Promise<BatchResult> {
  const { mode, updateExistingOnly } = ctx.sync;
  const attribute = ctx.sync.attribute ?? (mode === 'boolean' ? ctx.audience.key : 'audiences');
  const value = mode === 'boolean' ? ctx.action === 'add' : { [ctx.action]: [ctx.audience.key] };
  const entries: Entry[] = ctx.members.map((member, item) => ({
    item,
    object: { ...identifierOf(member), ...(updateExistingOnly ? { _update_existing_only: true } : {}), [attribute]: value },
  }));
  return track(ctx, 'attributes', entries, ctx.members.length);
}
