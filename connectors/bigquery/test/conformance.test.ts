import { runConformanceSuite } from '@switchyard/sdk-kit/testing';
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
    events: [
      { messageId: 'pf-1', type: 'track', event: 'Accepted', userId: 'u-1', identities: {}, traits: {}, properties: {}, context: {}, timestamp: '2026-11-20T10:00:00.000Z', receivedAt: '2026-11-20T10:00:00.000Z', sourceId: 's' },
      { messageId: 'pf-2', type: 'track', event: 'Rejected', userId: 'u-1', identities: {}, traits: {}, properties: {}, context: {}, timestamp: '2026-11-20T10:00:00.000Z', receivedAt: '2026-11-20T10:00:00.000Z', sourceId: 's' },
    ],
    expect: ['ok', 'permanent'],
  },
});
