import { buildTrack, runConformanceSuite } from '@switchyard/sdk-kit/testing';
import connector from '../src/index.js';
import { ACCOUNT, PRIVATE_KEY_PEM, createFakeSnowflake } from './fake-snowflake.js';

const fake = createFakeSnowflake();
// A MERGE carrying the "Rejected" event fails as Snowflake reports a failed statement (422).
const rejecting = createFakeSnowflake((call) =>
  call.statement.startsWith('MERGE') && Object.values(call.bindings ?? {}).some((b) => b.value === 'Rejected')
    ? [422, { code: '100038', message: "Numeric value 'abc' is not recognized", sqlState: '22018' }]
    : undefined,
);
runConformanceSuite(connector, {
  settings: { account: ACCOUNT, user: 'loader', privateKey: PRIVATE_KEY_PEM, database: 'ANALYTICS', schema: 'SWITCHYARD' },
  respond: (request) => fake.respond(request),
  partialFailure: {
    respond: (request) => rejecting.respond(request),
    events: [buildTrack({ messageId: 'pf-1', event: 'Accepted' }), buildTrack({ messageId: 'pf-2', event: 'Rejected' })],
    expect: ['ok', 'permanent'],
  },
});
