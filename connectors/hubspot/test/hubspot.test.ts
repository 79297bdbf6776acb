// Contacts: https://developers.hubspot.com/docs/api-reference/legacy/crm/objects/contacts/batch/upsert-contacts
// (POST /crm/v3/objects/contacts/batch/upsert, inputs of { idProperty, id, properties }, 100 per request);
// custom events: https://developers.hubspot.com/docs/api-reference/events-send-event-completions-v3/guide
// (POST /events/v3/send/batch, eventName pe<HubID>_name, email | utk | objectId, occurredAt, uuid; 204);
// GDPR delete: POST /crm/v3/objects/contacts/gdpr-delete { objectId, idProperty }; errors:
// https://developers.hubspot.com/docs/api-reference/error-handling (status/message/category; 429 with policyName).
import { checkManifest } from '@switchyard/sdk-kit';
import { buildIdentify, buildTrack, createTestHarness } from '@switchyard/sdk-kit/testing';
import connector from '../src/index.js';
import { TOKEN, createFakeHubSpot } from './fake-hubspot.js';

const settings = { accessToken: TOKEN, portalId: '123456' };
function hubspot(extra: Record<string, unknown> = {}, options: Parameters<typeof createFakeHubSpot>[0] = {}) {
  const fake = createFakeHubSpot(options);
  return { fake, harness: createTestHarness(connector, { settings: { ...settings, ...extra } }).intercept('api.hubapi.com', fake.respond) };
}
const identify = (id: string, traits: Record<string, unknown>) => ({ ...buildIdentify({ messageId: id, userId: id }), traits });

test("the manifest passes the router's checks", () => {
  expect(checkManifest(connector)).toEqual([]);
});

test('identify events upsert contacts by email, normalised, one input per address', async () => {
  const { fake, harness } = hubspot();
  const { results, requests } = await harness.run([
    identify('a', { email: ' Ann@Example.COM ', firstName: 'Ann', address: { city: 'Berlin' } }),
    identify('b', { email: 'bob@example.com', lastName: 'Lee' }),
    identify('c', { email: 'ann@example.com', company: 'Acme' }),
    identify('d', { firstName: 'No Email' }),
  ]);
  expect(results).toEqual([{ status: 'ok' }, { status: 'ok' }, { status: 'ok' }, { status: 'ok', code: 'NO_EMAIL' }]);
  expect(requests).toHaveLength(1);
  expect(requests[0]).toMatchObject({
    method: 'POST',
    url: 'https://api.hubapi.com/crm/v3/objects/contacts/batch/upsert',
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  expect(fake.contacts.get('ann@example.com')).toEqual({ email: 'ann@example.com', firstname: 'Ann', city: 'Berlin', company: 'Acme' });
  expect(fake.contacts.get('bob@example.com')).toEqual({ email: 'bob@example.com', lastname: 'Lee' });
});

test('sends at most 100 contacts per request', async () => {
  const { fake, harness } = hubspot();
  const { results, requests } = await harness.run(Array.from({ length: 130 }, (_, i) => identify(`u${i}`, { email: `u${i}@example.com` })));
  expect(results.every((r) => r.status === 'ok')).toBe(true);
  expect(requests.map((r) => (r.body as { inputs: unknown[] }).inputs.length)).toEqual([100, 30]);
  expect(fake.contacts.size).toBe(130);
});

test('a contact HubSpot refuses fails alone; the rest of the batch is written', async () => {
  const { fake, harness } = hubspot({}, {});
  const { results } = await harness.runAction('upsertContact', [
    identify('a', { email: 'a@example.com' }),
    identify('b', { email: 'b@example.com' }),
    identify('c', { email: 'c@example.com' }),
  ]);
  expect(results.map((r) => r.status)).toEqual(['ok', 'ok', 'ok']);
  const mapped = createTestHarness(connector, {
    settings,
    mappingOverrides: { upsertContact: { properties: { favourite_colour: { '@path': '$.traits.colour' } } } },
  }).intercept('api.hubapi.com', fake.respond);
  const mixed = await mapped.run([identify('d', { email: 'd@example.com' }), identify('e', { email: 'e@example.com', colour: 'red' })]);
  expect(mixed.results.map((r) => r.status)).toEqual(['ok', 'permanent']);
  expect(mixed.results[1]!.message).toContain('favourite_colour');
  expect(fake.contacts.has('d@example.com')).toBe(true);
});

test('track events with a definition become custom event occurrences, with a stable uuid per message', async () => {
  const { fake, harness } = hubspot({ eventNames: { 'Plan Changed': 'pe123456_plan_upgraded' } });
  // Events whose only email is where each case puts it.
  const track = (messageId: string, event: string, properties: Record<string, unknown>) => ({
    ...buildTrack({ messageId, event, timestamp: '2026-12-04T18:00:00.000Z' }),
    properties,
    traits: {},
    identities: {},
    context: {},
  });
  const events = [
    track('m1', 'Video Played', { length: 30, tags: ['x'], email: 'Viewer@Example.com' }),
    track('m2', 'Plan Changed', { email: 'p@example.com' }),
    track('m3', 'Unknown Thing', { email: 'p@example.com' }),
    track('m4', 'Video Played', {}),
  ];
  const { results } = await harness.runAction('sendCustomEvent', events);
  expect(results.map((r) => r.status)).toEqual(['ok', 'ok', 'permanent', 'ok']);
  expect(results[3]).toEqual({ status: 'ok', code: 'NO_EMAIL' });
  expect(fake.occurrences[0]).toEqual({
    eventName: 'pe123456_video_played',
    email: 'viewer@example.com',
    occurredAt: '2026-12-04T18:00:00.000Z',
    uuid: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
    properties: { length: 30, email: 'Viewer@Example.com' },
  });
  expect(fake.occurrences.map((o) => o.eventName)).toEqual(['pe123456_video_played', 'pe123456_plan_upgraded']);
  const again = hubspot({ eventNames: { 'Plan Changed': 'pe123456_plan_upgraded' } });
  await again.harness.runAction('sendCustomEvent', [events[0]!]);
  expect(again.fake.occurrences[0]!.uuid).toBe(fake.occurrences[0]!.uuid);
});

test('without a portalId or a mapping, track events are skipped, not failed', async () => {
  const { harness } = hubspot({ portalId: undefined });
  const { results, requests } = await harness.runAction('sendCustomEvent', {
    ...buildTrack({ event: 'Video Played' }),
    properties: { email: 'a@example.com' },
  });
  expect(results).toEqual([{ status: 'ok', code: 'NO_EVENT_DEFINITION' }]);
  expect(requests).toEqual([]);
});

test('429 waits for the policy window; a refused token is an authentication failure without the token', async () => {
  const limited = await createTestHarness(connector, { settings })
    .intercept('api.hubapi.com', () => ({
      status: 429,
      body: { status: 'error', message: 'You have reached your secondly limit.', errorType: 'RATE_LIMIT', policyName: 'SECONDLY' },
    }))
    .run(identify('a', { email: 'a@example.com' }));
  expect(limited.results[0]).toMatchObject({ status: 'rate_limited', retryAfterMs: 1000 });
  const denied = await createTestHarness(connector, { settings: { ...settings, accessToken: 'pat-na1-wrong-token-0000' } })
    .intercept('api.hubapi.com', createFakeHubSpot().respond)
    .run(identify('a', { email: 'a@example.com' }));
  expect(denied.results[0]).toMatchObject({ status: 'authentication', httpStatus: 401, message: expect.stringContaining('INVALID_AUTHENTICATION') });
  expect(JSON.stringify(denied.results) + denied.logs.join('\n')).not.toContain('pat-na1-wrong-token-0000');
  const down = await createTestHarness(connector, { settings })
    .intercept('api.hubapi.com', () => ({ status: 502, body: 'Bad Gateway' }))
    .run(identify('a', { email: 'a@example.com' }));
  expect(down.results[0]!.status).toBe('retryable');
});

test('erasure GDPR-deletes the contact by email; an unknown contact is already erased', async () => {
  const { fake, harness } = hubspot();
  await harness.run(identify('a', { email: 'ann@example.com' }));
  const { result, requests } = await harness.runDelete({ user_id: 'a', email: ' ANN@example.com' });
  expect(result).toEqual({ status: 'ok' });
  expect(requests[0]).toMatchObject({
    url: 'https://api.hubapi.com/crm/v3/objects/contacts/gdpr-delete',
    body: { objectId: 'ann@example.com', idProperty: 'email' },
  });
  expect(fake.deleted).toEqual(['ann@example.com']);
  expect((await harness.runDelete({ email: 'ann@example.com' })).result).toEqual({ status: 'ok' });
  expect((await harness.runDelete({ user_id: 'only-an-id' })).requests).toEqual([]);
});

test('a 207 multi-status answer fails only the contacts its errors name', async () => {
  const multiStatus = (request: { body: unknown }) => {
    const inputs = (request.body as { inputs: Array<{ id: string }> }).inputs;
    const bad = inputs.filter((i) => i.id.startsWith('bad'));
    if (bad.length === 0) return { status: 200, body: { status: 'COMPLETE', results: [] } };
    return {
      status: 207,
      body: {
        status: 'COMPLETE',
        results: [],
        numErrors: bad.length,
        errors: bad.map((i) => ({
          status: 'error',
          category: 'VALIDATION_ERROR',
          message: `Property values were not valid for ${i.id}`,
          context: { ids: [i.id] },
        })),
      },
    };
  };
  const { results, requests } = await createTestHarness(connector, { settings })
    .intercept('api.hubapi.com', multiStatus)
    .run([identify('a', { email: 'good@example.com' }), identify('b', { email: 'bad@example.com' })]);
  expect(results.map((r) => r.status)).toEqual(['ok', 'permanent']);
  expect(results[1]).toMatchObject({ code: 'HUBSPOT_MULTI_STATUS', message: expect.stringContaining('bad@example.com') });
  expect(requests).toHaveLength(3);
});
