import type { CapturedRequest } from '@switchyard/sdk-kit/testing';
import { buildCommerce, buildTrack, runConformanceSuite } from '@switchyard/sdk-kit/testing';
import connector from '../src/index.js';

const JOB = 'customers/1234567890/offlineUserDataJobs/42';
const settings = {
  customerId: '123-456-7890',
  clientId: 'client-1.apps.googleusercontent.com',
  developerToken: 'dev-token-abcdef',
  clientSecret: 'client-secret-xyz',
  refreshToken: '1//refresh-token-123',
  userListId: '555',
  adUserDataConsent: 'GRANTED',
  adPersonalizationConsent: 'GRANTED',
  conversionActionId: '777',
};

/** Google's success answers: an OAuth token, then Customer Match jobs and conversion adjustments. */
function google(request: CapturedRequest) {
  if (request.host === 'oauth2.googleapis.com') return { body: { access_token: 'ya29.access', expires_in: 3599, token_type: 'Bearer' } };
  if (request.url.endsWith('offlineUserDataJobs:create')) return { body: { resourceName: JOB } };
  if (request.url.endsWith(':run')) return { body: { name: 'customers/1234567890/operations/7' } };
  if (request.url.endsWith(':uploadConversionAdjustments')) return { body: { results: [{}] } };
  return { body: {} };
}

runConformanceSuite(connector, {
  settings,
  sampleEvents: [
    buildTrack({ event: 'Audience Entered', properties: { audience_key: 'vip' } }),
    buildCommerce({ type: 'track', properties: { order_id: 'order-1', gclid: 'gclid-1' } }),
  ],
  respond: google,
  audienceSync: { userListId: '556' },
  // Failures are simulated on the Ads API; the token endpoint keeps answering.
  failWhere: (request) => request.host === 'googleads.googleapis.com',
});
