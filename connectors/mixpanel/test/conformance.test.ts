import { buildTrack, runConformanceSuite } from '@switchyard/sdk-kit/testing';
import connector from '../src/index.js';
import { GDPR_TOKEN, PROJECT_ID, PROJECT_TOKEN, SA_SECRET, SA_USER } from './mixpanel-stub.js';

runConformanceSuite(connector, {
  settings: { projectId: PROJECT_ID, projectToken: PROJECT_TOKEN, serviceAccountUsername: SA_USER, serviceAccountSecret: SA_SECRET, gdprToken: GDPR_TOKEN },
  // /engage answers 200 with status 1 on success.
  respond: (request) => ({ status: 200, body: request.url.includes('/engage') ? { status: 1, error: null } : { code: 200, status: 'OK' } }),
  partialFailure: {
    action: 'trackEvent',
    events: [buildTrack(), buildTrack({ event: 'Plan Changed' })],
    respond: () => ({
      status: 400,
      body: { code: 400, status: 'Bad Request', num_records_imported: 1, failed_records: [{ index: 1, field: 'properties.time', message: 'invalid' }] },
    }),
    expect: ['ok', 'permanent'],
  },
});
