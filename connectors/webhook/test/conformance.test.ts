import { buildTrack, runConformanceSuite } from '@switchyard/sdk-kit/testing';
import connector from '../src/index.js';

const settings = { url: 'https://hooks.example.com/switchyard', sharedSecret: 'whsec-0123456789', timeoutMs: 1000 };

runConformanceSuite(connector, {
  settings,
  partialFailure: {
    settings: { ...settings, batching: true },
    events: [buildTrack(), buildTrack(), buildTrack()],
    // The receiver reports per-item errors: {"errors":[{"index":1,"status":400}]}.
    respond: () => ({ status: 200, body: { errors: [{ index: 1, status: 400, message: 'missing field' }] } }),
    expect: ['ok', 'permanent', 'ok'],
  },
});
