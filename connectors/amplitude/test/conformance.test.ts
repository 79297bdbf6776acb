import { buildTrack, runConformanceSuite } from '@switchyard/sdk-kit/testing';
import connector from '../src/index.js';
import { API_KEY, SECRET_KEY } from './amplitude-stub.js';

runConformanceSuite(connector, {
  settings: { apiKey: API_KEY, secretKey: SECRET_KEY },
  partialFailure: {
    action: 'trackEvent',
    events: [buildTrack({ userId: 'user-12345' }), buildTrack({ userId: 'user-67890', event: 'Plan Changed' })],
    // The first answer names event 1 as invalid; the resend of the others is accepted.
    respond: (request) =>
      (request.body as { events: unknown[] }).events.length === 2
        ? { status: 400, body: { code: 400, error: 'Request missing required field', events_with_invalid_fields: { time: [1] } } }
        : { status: 200, body: { code: 200, events_ingested: 1 } },
    expect: ['ok', 'permanent'],
  },
});
