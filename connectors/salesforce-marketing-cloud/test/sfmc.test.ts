// Token: https://developer.salesforce.com/docs/marketing/marketing-cloud/guide/access-token-s2s.html
// (POST https://<subdomain>.auth.marketingcloudapis.com/v2/token, JSON client_credentials grant, account_id for a business unit);
// rows: https://developer.salesforce.com/docs/marketing/marketing-cloud/guide/data-extensions-api-synch.html
// (POST /hub/v1/dataevents/key:<key>/rowset, [{ keys, values }]); journeys: POST /interaction/v1/events
// ({ ContactKey, EventDefinitionKey, Data }, 201); deletion: POST /contacts/v1/contacts/actions/delete?type=keys.
import { checkManifest, egressFor, type AnyConnector } from '@switchyard/sdk-kit';
import { buildIdentify, buildTrack, createTestHarness } from '@switchyard/sdk-kit/testing';
import connector from '../src/index.js';
import { CLIENT_ID, CLIENT_SECRET, SUBDOMAIN, createFakeSfmc } from './fake-sfmc.js';

const settings = {
  subdomain: SUBDOMAIN,
  clientId: CLIENT_ID,
  clientSecret: CLIENT_SECRET,
  accountId: '514009012',
  dataExtensionKey: 'Switchyard_Contacts',
  journeyEvents: { 'Signed Up': 'APIEvent-signup', Typo: 'APIEvent-missing' },
};
function sfmc(extra: Record<string, unknown> = {}, options: Parameters<typeof createFakeSfmc>[0] = {}) {
  const fake = createFakeSfmc(options);
  return { fake, harness: createTestHarness(connector, { settings: { ...settings, ...extra } }).intercept(`*.marketingcloudapis.com`, fake.respond) };
}
const identify = (userId: string, traits: Record<string, unknown>) => ({ ...buildIdentify({ messageId: `i-${userId}`, userId }), traits, context: {} });

test("the manifest passes the router's checks; egress is the tenant's auth and REST hosts", () => {
  expect(checkManifest(connector)).toEqual([]);
  expect(egressFor(connector as unknown as AnyConnector, settings)).toEqual([
    `${SUBDOMAIN}.auth.marketingcloudapis.com`,
    `${SUBDOMAIN}.rest.marketingcloudapis.com`,
  ]);
});

test('identify events upsert data extension rows with one client-credentials token for the business unit', async () => {
  const { fake, harness } = sfmc();
  const first = await harness.run([identify('u-1', { email: ' Ann@Example.com ', firstName: 'Ann' }), identify('u-2', { lastName: 'Lee' })]);
  expect(first.results).toEqual([{ status: 'ok' }, { status: 'ok' }]);
  const second = await harness.run(identify('u-3', { email: 'c@example.com' }));
  expect(second.results).toEqual([{ status: 'ok' }]);
  expect(fake.tokenRequests).toEqual([{ grant_type: 'client_credentials', client_id: CLIENT_ID, client_secret: CLIENT_SECRET, account_id: '514009012' }]);
  const rowset = first.requests.find((r) => r.url.includes('/rowset'))!;
  expect(rowset.url).toBe(`https://${SUBDOMAIN}.rest.marketingcloudapis.com/hub/v1/dataevents/key:Switchyard_Contacts/rowset`);
  expect(rowset.body).toEqual([
    { keys: { ContactKey: 'u-1' }, values: { EmailAddress: 'ann@example.com', FirstName: 'Ann' } },
    { keys: { ContactKey: 'u-2' }, values: { LastName: 'Lee' } },
  ]);
  expect(fake.rows.get('u-3')).toEqual({ EmailAddress: 'c@example.com' });
});

test('a row Marketing Cloud refuses fails alone, with the column it names', async () => {
  const { fake, harness } = sfmc({}, { columns: ['ContactKey', 'EmailAddress'] });
  const { results } = await harness.run([identify('u-1', { email: 'a@example.com' }), identify('u-2', { email: 'b@example.com', firstName: 'Bo' })]);
  expect(results.map((r) => r.status)).toEqual(['ok', 'permanent']);
  expect(results[1]!.message).toContain('The column [FirstName] does not exist');
  expect([...fake.rows.keys()]).toEqual(['u-1']);
});

test('track events named in journeyEvents fire the journey entry event; others are skipped', async () => {
  const { fake, harness } = sfmc();
  const { results } = await harness.runAction('enterJourney', [
    { ...buildTrack({ messageId: 't1', event: 'Signed Up', userId: 'u-1' }), properties: { plan: 'pro', nested: { x: 1 } } },
    buildTrack({ messageId: 't2', event: 'Clicked', userId: 'u-1' }),
    buildTrack({ messageId: 't3', event: 'Typo', userId: 'u-1' }),
  ]);
  expect(results.map((r) => r.status)).toEqual(['ok', 'ok', 'permanent']);
  expect(results[1]).toEqual({ status: 'ok', code: 'NO_JOURNEY_EVENT' });
  expect(fake.entries).toEqual([{ ContactKey: 'u-1', EventDefinitionKey: 'APIEvent-signup', Data: { plan: 'pro' } }]);
});

test('an expired token is replaced once; refused client credentials are an authentication failure without the secret', async () => {
  const { fake, harness } = sfmc();
  await harness.run(identify('u-1', { email: 'a@example.com' }));
  fake.issued.clear();
  expect((await harness.run(identify('u-2', { email: 'b@example.com' }))).results).toEqual([{ status: 'ok' }]);
  expect(fake.tokenRequests).toHaveLength(2);
  const denied = await sfmc({ clientSecret: 'a-wrong-client-secret' }).harness.run(identify('u-1', { email: 'a@example.com' }));
  expect(denied.results[0]).toMatchObject({ status: 'authentication', code: 'OAUTH_INVALID_CLIENT' });
  expect(JSON.stringify(denied.results) + denied.logs.join('\n')).not.toContain('a-wrong-client-secret');
});

test('erasure deletes the contact and its attributes by contact key', async () => {
  const { fake, harness } = sfmc();
  const { result, requests } = await harness.runDelete({ user_id: 'u-9', email: 'x@example.com' });
  expect(result).toEqual({ status: 'ok' });
  expect(fake.deleted).toEqual(['u-9']);
  expect(requests.at(-1)).toMatchObject({
    url: `https://${SUBDOMAIN}.rest.marketingcloudapis.com/contacts/v1/contacts/actions/delete?type=keys`,
    body: { values: ['u-9'], DeleteOperationType: 'ContactAndAttributes' },
  });
});
