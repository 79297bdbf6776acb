import { runConformanceSuite } from '@switchyard/sdk-kit/testing';
import connector from '../src/index.js';

runConformanceSuite(connector, {
  settings: {
    pixelCode: 'C4ABCDEF12345',
    accessToken: 'tiktok-access-token-123456',
    advertiserId: '7178918106775994370',
    marketingAccessToken: 'tiktok-marketing-token-987654',
  },
  audienceSync: { audienceId: '167290896' },
  // TikTok answers HTTP 200 with `code: 0` on success.
  respond: () => ({ body: { code: 0, message: 'OK', request_id: 'req-1' } }),
});
