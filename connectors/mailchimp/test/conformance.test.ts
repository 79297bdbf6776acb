import { buildIdentify, runConformanceSuite } from '@switchyard/sdk-kit/testing';
import connector from '../src/index.js';

runConformanceSuite(connector, {
  settings: { apiKey: '0123456789abcdef0123456789abcdef-us21', listId: 'list123' },
  audienceSync: { segmentId: '9001' },
  partialFailure: {
    events: [buildIdentify(), buildIdentify({ traits: { email: 'fake@invalid' } })],
    // The batch members endpoint reports refused addresses in `errors`; the others were added.
    respond: (request) =>
      request.method === 'POST' && request.url.endsWith('/lists/list123')
        ? {
            body: {
              new_members: [{ email_address: 'jane.doe@example.com' }],
              errors: [{ email_address: 'fake@invalid', error: 'looks fake', error_code: 'ERROR_GENERIC' }],
            },
          }
        : { body: {} },
    expect: ['ok', 'permanent'],
  },
});
