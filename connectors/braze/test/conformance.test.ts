import { buildTrack, runConformanceSuite } from '@switchyard/sdk-kit/testing';
import connector from '../src/index.js';

runConformanceSuite(connector, {
  settings: { apiKey: 'braze-api-key-0123456789', restEndpoint: 'https://rest.iad-01.braze.com' },
  audienceSync: { mode: 'array' },
  partialFailure: {
    action: 'trackEvent',
    events: [buildTrack(), buildTrack({ event: 'Plan Changed' })],
    // Braze answers 201 with "minor" errors naming the array and index of each object it dropped.
    respond: () => ({ status: 201, body: { message: 'success', errors: [{ type: "'name' is required", input_array: 'events', index: 1 }] } }),
    expect: ['ok', 'permanent'],
  },
});
