import { runConformanceSuite } from '@switchyard/sdk-kit/testing';
import connector from '../src/index.js';

runConformanceSuite(connector, {
  settings: { apiKey: 'SG.test-key.abcdefghijklmnop', listIds: ['list-1'] },
  audienceSync: { listId: 'vip-list' },
  // The contacts search finds every email it is asked for, so audience removals have contact ids to remove.
  respond: (request) =>
    request.url.endsWith('/marketing/contacts/search/emails')
      ? {
          body: {
            result: Object.fromEntries((request.body as { emails: string[] }).emails.map((email) => [email, { contact: { id: `id-${email}`, email } }])),
          },
        }
      : { status: 202, body: { job_id: 'job-1' } },
});
