import { buildTrack, runConformanceSuite } from '@switchyard/sdk-kit/testing';
import connector from '../src/index.js';
import { ACCESS_KEY_ID, SECRET_ACCESS_KEY, createFakeS3 } from './fake-s3.js';

const s3 = createFakeS3(['acme-events']);
runConformanceSuite(connector, {
  settings: { bucket: 'acme-events', region: 'eu-central-1', accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY },
  respond: (request) => s3.respond(request),
  partialFailure: {
    // Two sources make two objects; the upload of the second is throttled.
    events: [buildTrack({ messageId: 'pf-1', sourceId: 'web' }), buildTrack({ messageId: 'pf-2', sourceId: 'mobile' })],
    respond: (request) =>
      request.url.includes('/mobile/')
        ? { status: 503, body: '<Error><Code>SlowDown</Code><Message>Reduce your rate.</Message></Error>' }
        : s3.respond(request),
    expect: ['ok', 'rate_limited'],
  },
});
