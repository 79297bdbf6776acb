import { runConformanceSuite } from '@switchyard/sdk-kit/testing';
import connector from '../src/index.js';
import { AGENT, API_TOKEN } from './zendesk-stub.js';

runConformanceSuite(connector, {
  settings: { subdomain: 'acme', email: AGENT, apiToken: API_TOKEN },
  // The user search finds one user, so erasures go on to the deletions.
  respond: (request) => ({ status: 200, body: request.url.includes('/users/search') ? { users: [{ id: 5 }], count: 1 } : { user: { id: 5 } } }),
});
