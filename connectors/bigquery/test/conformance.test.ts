import { buildTrack, runConformanceSuite } from '@switchyard/sdk-kit/testing';
import connector, { forgetTokens } from '../src/index.js';
import { createFakeBigQuery, DATASET, PROJECT, serviceAccountKey } from './fake-bigquery.js';

const fake = createFakeBigQuery();
const rejecting = createFakeBigQuery({ rejectRow: (json) => (json.event_text === 'Rejected' ? 'Invalid value' : undefined) });

afterAll(() => forgetTokens());

runConformanceSuite(connector, {
  settings: { projectId: PROJECT, datasetId: DATASET, serviceAccountKey },
  respond: (request) => fake.respond(request),
  // Simulated failures apply to BigQuery itself; the token endpoint keeps answering.
  failWhere: (request) => request.host === 'bigquery.googleapis.com',
  partialFailure: {
    respond: (request) => rejecting.respond(request),
    events: [buildTrack({ messageId: 'pf-1', event: 'Accepted' }), buildTrack({ messageId: 'pf-2', event: 'Rejected' })],
    expect: ['ok', 'permanent'],
  },
});
