import { buildTrack, runConformanceSuite } from '@switchyard/sdk-kit/testing';
import connector from '../src/index.js';

runConformanceSuite(connector, {
  settings: { audienceId: '23850000000000001', accessToken: 'EAAaudiencetoken123456', apiVersion: 'v24.0' },
  sampleEvents: [buildTrack({ event: 'Audience Entered' }), buildTrack({ event: 'Audience Exited' })],
});
