import type { CapturedRequest, MockResponse } from '@switchyard/sdk-kit/testing';

export const SUBDOMAIN = 'mc563885gzs27c5t9-63k636ttgm';
export const CLIENT_ID = 'abcdefghij0123456789';
export const CLIENT_SECRET = 'client-secret-0123456789';

/**
 * A stand-in for a Marketing Cloud tenant as documented: POST /v2/token (JSON client_credentials grant, answering
 * access_token, expires_in 1080 and rest_instance_url) on the auth host; on the REST host, Bearer tokens it issued,
 * /hub/v1/dataevents/key:<key>/rowset (rows of { keys, values } with the primary key and known columns), and
 * /interaction/v1/events (ContactKey, EventDefinitionKey of a defined entry event) and the contact delete.
 */
// One tenant's tokens, whichever fake issued them: several fakes stand for the same tenant in the conformance suite.
const issued = new Set<string>();
let tokens = 0;

export function createFakeSfmc(options: { columns?: string[]; eventDefinitions?: string[] } = {}) {
  const columns = new Set(options.columns ?? ['ContactKey', 'EmailAddress', 'FirstName', 'LastName', 'Phone']);
  const definitions = new Set(options.eventDefinitions ?? ['APIEvent-signup']);
  const rows = new Map<string, Record<string, unknown>>();
  const entries: Array<Record<string, unknown>> = [];
  const deleted: string[] = [];
  const tokenRequests: Array<Record<string, unknown>> = [];

  function respond(request: CapturedRequest): MockResponse {
    const url = new URL(request.url);
    if (url.host === `${SUBDOMAIN}.auth.marketingcloudapis.com`) {
      const body = request.body as Record<string, string>;
      tokenRequests.push(body);
      if (url.pathname !== '/v2/token' || body.grant_type !== 'client_credentials') return { status: 400, body: { error: 'unsupported_grant_type' } };
      if (body.client_id !== CLIENT_ID || body.client_secret !== CLIENT_SECRET) {
        return {
          status: 401,
          body: { error: 'invalid_client', error_description: 'Invalid client ID. Use the client ID in Marketing Cloud Installed Packages.' },
        };
      }
      const token = `token-${(tokens += 1)}`;
      issued.add(token);
      return {
        status: 200,
        body: {
          access_token: token,
          token_type: 'Bearer',
          expires_in: 1080,
          scope: 'data_extensions_write journeys_execute',
          rest_instance_url: `https://${SUBDOMAIN}.rest.marketingcloudapis.com/`,
        },
      };
    }
    const token = (request.headers.authorization ?? '').replace(/^Bearer /, '');
    if (!issued.has(token)) return { status: 401, body: { message: 'Not Authorized', errorcode: 0, documentation: '' } };
    const rowset = /^\/hub\/v1\/dataevents\/key:([^/]+)\/rowset$/.exec(url.pathname);
    if (request.method === 'POST' && rowset) {
      const items = request.body as Array<{ keys?: Record<string, unknown>; values?: Record<string, unknown> }>;
      for (const item of items) {
        const unknown = Object.keys({ ...item.keys, ...item.values }).find((c) => !columns.has(c));
        if (!item.keys?.ContactKey)
          return {
            status: 400,
            body: {
              message: 'Unable to save rows for data extension',
              errorcode: 10000,
              additionalErrors: [{ message: 'The primary key ContactKey is required', errorcode: 10001 }],
            },
          };
        if (unknown)
          return {
            status: 400,
            body: {
              message: 'Unable to save rows for data extension',
              errorcode: 10000,
              additionalErrors: [{ message: `The column [${unknown}] does not exist`, errorcode: 10006 }],
            },
          };
      }
      for (const item of items) rows.set(String(item.keys!.ContactKey), { ...rows.get(String(item.keys!.ContactKey)), ...item.values });
      return { status: 200, body: items.map((i) => ({ keys: i.keys, values: i.values })) };
    }
    if (request.method === 'POST' && url.pathname === '/interaction/v1/events') {
      const body = request.body as Record<string, unknown>;
      if (!body.ContactKey || !definitions.has(String(body.EventDefinitionKey))) {
        return { status: 400, body: { message: `Event definition ${String(body.EventDefinitionKey)} not found`, errorcode: 30000, documentation: '' } };
      }
      entries.push(body);
      return { status: 201, body: { eventInstanceId: `instance-${entries.length}` } };
    }
    if (request.method === 'POST' && url.pathname === '/contacts/v1/contacts/actions/delete' && url.searchParams.get('type') === 'keys') {
      const body = request.body as { values?: string[]; DeleteOperationType?: string };
      deleted.push(...(body.values ?? []));
      return { status: 200, body: { operationInitiated: true, operationID: 1, requestServiceMessageID: 'req-1', hasErrors: false } };
    }
    return { status: 404, body: { message: 'Not Found', errorcode: 404 } };
  }
  return { rows, entries, deleted, issued, tokenRequests, respond };
}
