import { buildTrack, runConformanceSuite } from '@switchyard/sdk-kit/testing';
import connector from '../src/index.js';
import { ACCESS_KEY_ID, SECRET_ACCESS_KEY, createFakeRedshift } from './fake-redshift.js';

const fake = createFakeRedshift();
// An insert carrying the "Rejected" event fails as Redshift reports a failed statement.
const rejecting = createFakeRedshift({
  fail: (s) =>
    s.sql.startsWith('INSERT') && Object.values(s.parameters).includes('Rejected') ? 'ERROR: value too long for type character varying(65535)' : undefined,
});
runConformanceSuite(connector, {
  settings: {
    region: 'eu-west-1',
    accessKeyId: ACCESS_KEY_ID,
    secretAccessKey: SECRET_ACCESS_KEY,
    database: 'analytics',
    clusterIdentifier: 'warehouse-1',
    dbUser: 'loader',
  },
  respond: (request) => fake.respond(request),
  partialFailure: {
    respond: (request) => rejecting.respond(request),
    events: [buildTrack({ messageId: 'pf-1', event: 'Accepted' }), buildTrack({ messageId: 'pf-2', event: 'Rejected' })],
    expect: ['ok', 'permanent'],
  },
});
