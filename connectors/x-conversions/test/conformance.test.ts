import { buildTrack, runConformanceSuite } from '@switchyard/sdk-kit/testing';
import connector from '../src/index.js';
import { CREDENTIALS, createFakeX } from './fake-x.js';

const fake = createFakeX();
runConformanceSuite(connector, {
  settings: { pixelId: 'o8z6j', eventIds: { 'Signed Up': 'o87ne', 'Order Completed': 'o87ne', Typo: 'zzzzz' }, ...CREDENTIALS },
  respond: (request) => fake.respond(request),
  partialFailure: {
    // X refuses the whole request for one conversion with an unknown event id; the connector sends each alone.
    events: [buildTrack({ messageId: 'pf-1', event: 'Signed Up' }), buildTrack({ messageId: 'pf-2', event: 'Typo' })],
    respond: (request) => createFakeX().respond(request),
    expect: ['ok', 'permanent'],
  },
});
