import { runConformanceSuite } from '@switchyard/sdk-kit/testing';
import connector from '../src/index.js';

runConformanceSuite(connector, {
  settings: {
    pixelId: 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d',
    accessToken: 'snap-capi-token-abcdef123',
    marketingClientId: 'snap-client-1',
    marketingClientSecret: 'snap-client-secret-xyz',
    marketingRefreshToken: 'snap-refresh-token-0123456',
  },
  audienceSync: { segmentId: '5677923948298240' },
  // Snap's OAuth endpoint hands out access tokens for audience syncs; failures are simulated on the APIs.
  respond: (request) => (request.host === 'accounts.snapchat.com' ? { body: { access_token: 'snap-access', expires_in: 1800 } } : { body: {} }),
  failWhere: (request) => request.host !== 'accounts.snapchat.com',
});
