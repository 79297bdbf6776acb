import { buildIdentify, runConformanceSuite } from '@switchyard/sdk-kit/testing';
import connector from '../src/index.js';
import { TOKEN, createFakeHubSpot } from './fake-hubspot.js';

const fake = createFakeHubSpot({ definedEvents: ['pe123456_signed_up', 'pe123456_order_completed', 'pe123456_product_viewed'] });
const withEmail = (messageId: string, email: string) => ({ ...buildIdentify({ messageId }), traits: { email } });
runConformanceSuite(connector, {
  settings: { accessToken: TOKEN, portalId: '123456' },
  respond: (request) => fake.respond(request),
  partialFailure: {
    action: 'upsertContact',
    // HubSpot refuses the whole batch for one invalid email (400); the connector resends each contact alone.
    events: [withEmail('pf-1', 'good@example.com'), withEmail('pf-2', 'not-an-email@')],
    respond: (request) => createFakeHubSpot().respond(request),
    expect: ['ok', 'permanent'],
  },
});
