import type { AudienceMember, AudienceSyncContext } from '@switchyard/sdk-kit';

/** Members per request: the same bound as a batch of events. */
export const MAX_MEMBERS_PER_REQUEST = 1000;

/** One person of a membership request, as the receiver gets it. */
export interface WebhookMember {
  messageId: string;
  profileId?: string;
  /** Every identifier the person has, normalised (emails lower-cased, phones in E.164, advertising ids lower-cased). */
  identifiers: Record<string, string>;
  /** When the person entered or left the audience. */
  at: string;
}

/** The body of a membership request: `{"type":"audience","audience":{…},"action":"add","members":[…]}`. */
export interface AudienceBody {
  type: 'audience';
  audience: { key: string; name?: string };
  action: 'add' | 'remove';
  /** The sync's own settings, when it has any (the receiver's list id…). */
  sync?: Record<string, unknown>;
  members: WebhookMember[];
}

const toMember = (member: AudienceMember): WebhookMember => ({
  messageId: member.messageId,
  ...(member.profileId !== undefined ? { profileId: member.profileId } : {}),
  identifiers: member.identifiers,
  at: member.event.audience?.at ?? member.event.timestamp,
});

export function audienceBody(ctx: Pick<AudienceSyncContext<unknown, Record<string, unknown>>, 'audience' | 'action' | 'sync' | 'members'>): AudienceBody {
  return {
    type: 'audience',
    audience: ctx.audience,
    action: ctx.action,
    ...(Object.keys(ctx.sync).length ? { sync: ctx.sync } : {}),
    members: ctx.members.map(toMember),
  };
}
