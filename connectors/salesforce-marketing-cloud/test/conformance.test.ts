import { buildIdentify, runConformanceSuite } from '@switchyard/sdk-kit/testing';
import connector from '../src/index.js';
import { CLIENT_ID, CLIENT_SECRET, SUBDOMAIN, createFakeSfmc } from './fake-sfmc.js';

const fake = createFakeSfmc({ eventDefinitions: ['APIEvent-signup'] });
const narrow = createFakeSfmc({ columns: ['ContactKey', 'EmailAddress'] });
runConformanceSuite(connector, {
  settings: {
    subdomain: SUBDOMAIN,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    dataExtensionKey: 'Contacts',
    journeyEvents: { 'Signed Up': 'APIEvent-signup' },
  },
  respond: (request) => fake.respond(request),
  // The token endpoint keeps answering while the simulated failures hit the REST API.
  failWhere: (request) => request.host.includes('.rest.'),
  partialFailure: {
    action: 'upsertRows',
    // A row with a column the data extension lacks makes Marketing Cloud refuse the rowset; the connector sends each row alone.
    events: [
      { ...buildIdentify({ messageId: 'pf-1', userId: 'u-1' }), traits: { email: 'a@example.com' } },
      { ...buildIdentify({ messageId: 'pf-2', userId: 'u-2' }), traits: { firstName: 'Bo' } },
    ],
    respond: (request) => narrow.respond(request),
    expect: ['ok', 'permanent'],
  },
});
