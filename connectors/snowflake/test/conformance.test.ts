import { runConformanceSuite } from '@switchyard/sdk-kit/testing';
import type { CanonicalEvent } from '@switchyard/sdk-kit';
import connector from '../src/index.js';
import { ACCOUNT, PRIVATE_KEY_PEM, createFakeSnowflake } from './fake-snowflake.js';

const fake = createFakeSnowflake();
// A MERGE carrying the "Rejected" event fails as Snowflake reports a failed statement (422).
const rejecting = createFakeSnowflake((call) => (call.statement.startsWith('MERGE') && Object.values(call.bindings ?? {}).some((b) => b.value === 'Rejected')
  ? [422, { code: '100038', message: "Numeric value 'abc' is not recognized", sqlState: '22018' }]
  : undefined));
const event = (messageId: string, name: string): CanonicalEvent => ({
  messageId, type: 'track', event: name, userId: 'u-1', identities: {}, traits: {}, properties: {}, context: {},
  timestamp: '2026-11-20T10:00:00.000Z', receivedAt: '2026-11-20T10:00:00.000Z', sourceId: 's',
});

runConformanceSuite(connector, {
  settings: { account: ACCOUNT, user: 'loader', privateKey: PRIVATE_KEY_PEM, database: 'ANALYTICS', schema: 'SWITCHYARD' },
  respond: (request) => fake.respond(request),
  partialFailure: {
    respond: (request) => rejecting.respond(request),
    events: [event('pf-1', 'Accepted'), event('pf-2', 'Rejected')],
    expect: ['ok', 'permanent'],
  },
});
