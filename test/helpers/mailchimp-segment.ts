import { RecordingSink } from './recording-sink.js';

/**
 * A loopback Mailchimp Marketing API holding one static segment (`segmentId` of list `listId`): it lists it as
 * GET /3.0/lists/{list}/segments/{id}/members does (`members[].email_address`, `total_items`, paged by `count` and
 * `offset`) and changes it as POST /3.0/lists/{list}/segments/{id} does (`members_to_add` / `members_to_remove`,
 * answered with `members_added`, `members_removed`, `errors` and totals). Other calls (the member upserts of identify
 * events) are answered 200. Point a mailchimp connection at it with `endpointOverrides`.
 */
export function mailchimpSegment(emails: string[], listId = 'list123', segmentId = '9001'): { segment: Set<string>; api: RecordingSink } {
  const segment = new Set(emails);
  const path = `/3.0/lists/${listId}/segments/${segmentId}`;
  const api = new RecordingSink((r) => {
    const url = new URL(r.path, 'http://mailchimp');
    if (r.method === 'GET' && url.pathname === `${path}/members`) {
      const count = Number(url.searchParams.get('count') ?? 10);
      const offset = Number(url.searchParams.get('offset') ?? 0);
      const page = [...segment].slice(offset, offset + count).map((email_address) => ({ email_address, status: 'subscribed' }));
      return { status: 200, body: { members: page, total_items: segment.size } };
    }
    if (r.method === 'POST' && url.pathname === path) {
      const added = ((r.body?.members_to_add ?? []) as string[]).filter((email) => !segment.has(email));
      const removed = ((r.body?.members_to_remove ?? []) as string[]).filter((email) => segment.has(email));
      added.forEach((email) => segment.add(email));
      removed.forEach((email) => segment.delete(email));
      const members = (list: string[]) => list.map((email_address) => ({ email_address }));
      return {
        status: 200,
        body: {
          members_added: members(added),
          members_removed: members(removed),
          errors: [],
          total_added: added.length,
          total_removed: removed.length,
          error_count: 0,
        },
      };
    }
    return { status: 200, body: {} };
  });
  return { segment, api };
}

/** A mailchimp connection `id` whose API is the stub at `url`. */
export const mailchimpConnection = (id: string, url: string) => ({
  id,
  connector: 'mailchimp',
  settings: { apiKey: '0123456789abcdef0123456789abcdef-us21', listId: 'list123' },
  endpointOverrides: { 'us21.api.mailchimp.com': url },
});
