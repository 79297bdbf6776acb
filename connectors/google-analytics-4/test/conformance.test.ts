import { forgetServiceAccountTokens } from '@switchyard/sdk-kit';
import { buildPage, buildTrack, runConformanceSuite } from '@switchyard/sdk-kit/testing';
import connector from '../src/index.js';
import { API_SECRET, MEASUREMENT_ID, PROPERTY_ID, SERVICE_ACCOUNT_KEY, tokenApi } from './ga4-stub.js';

afterAll(() => forgetServiceAccountTokens());

const now = new Date().toISOString();
runConformanceSuite(connector, {
  settings: { measurementId: MEASUREMENT_ID, apiSecret: API_SECRET, propertyId: PROPERTY_ID, serviceAccountKey: SERVICE_ACCOUNT_KEY },
  sampleEvents: [buildTrack({ timestamp: now }), buildPage({ timestamp: now })],
  // The token endpoint answers as Google does; the simulated failures hit the APIs only.
  respond: (request) => (request.host === 'oauth2.googleapis.com' ? tokenApi(request) : { status: 204 }),
  failWhere: (request) => request.host !== 'oauth2.googleapis.com',
});
