// Amplitude's documented formats, as the stub below checks them:
// HTTP V2 API https://amplitude.com/docs/apis/analytics/http-v2 and
// https://amplitude.com/docs/apis/analytics/http-api-batching-retries (limits, 400 with indexed fields, 413, 429);
// User Privacy API https://amplitude.com/docs/apis/analytics/user-privacy (POST /api/2/deletions/users, basic auth).
import { checkManifest, egressFor, regionsFor } from '@switchyard/sdk-kit';
import { buildIdentify, buildPage, buildTrack, createTestHarness, type CapturedRequest, type Responder } from '@switchyard/sdk-kit/testing';
import connector from '../src/index.js';
import { API_KEY, deletions, httpApi, SECRET_KEY } from './amplitude-stub.js';

const settings = { apiKey: API_KEY, secretKey: SECRET_KEY };
const TIME = '2026-11-20T10:00:00.000Z';

const amplitude = (extra: Record<string, unknown> = {}, ingest: Responder = httpApi) =>
  createTestHarness(connector, { settings: { ...settings, ...extra } })
    .intercept('api2.amplitude.com', ingest)
    .intercept('amplitude.com', deletions);

const events = (requests: CapturedRequest[]) => requests.map((r) => (r.body as { events: Array<Record<string, unknown>> }).events);
const clicked = (id: string, extra = {}) => buildTrack({ messageId: id, event: 'Clicked', userId: `user-${id}`, anonymousId: `device-${id}`, ...extra });

test("the manifest passes the router's checks; the EU region uses the EU hosts only", () => {
  expect(checkManifest(connector)).toEqual([]);
  const eu = createTestHarness(connector, { settings: { ...settings, region: 'eu' } }).connection;
  expect(egressFor(connector as never, eu.settings)).toEqual(['api.eu.amplitude.com', 'analytics.eu.amplitude.com']);
  expect(regionsFor(connector as never, eu.settings)).toEqual(['eu']);
});

test('track and page events become HTTP V2 events with the messageId as insert_id and the time in milliseconds', async () => {
  const { requests, results } = await amplitude().run([
    { ...buildTrack({ messageId: 'm-1', event: 'Video Played', userId: 'user-1', anonymousId: 'device-1', timestamp: TIME }), properties: { length: 30 } },
    buildPage({ messageId: 'm-2', userId: 'user-2', anonymousId: undefined, timestamp: TIME }),
  ]);
  expect(results).toEqual([{ status: 'ok' }, { status: 'ok' }]);
  expect(requests).toHaveLength(1);
  expect(requests[0]).toMatchObject({ method: 'POST', url: 'https://api2.amplitude.com/2/httpapi', body: { api_key: API_KEY } });
  const [sent] = events(requests);
  expect(sent![0]).toEqual({
    user_id: 'user-1',
    device_id: 'device-1',
    event_type: 'Video Played',
    time: Date.parse(TIME),
    insert_id: 'm-1',
    event_properties: { length: 30 },
    ip: '203.0.113.7',
    language: 'en-US',
  });
  expect(sent![1]).toMatchObject({ user_id: 'user-2', event_type: 'Page Viewed', insert_id: 'm-2' });
  expect(sent![1]).not.toHaveProperty('device_id');
});

test('identify events become $identify events that $set the traits as user properties', async () => {
  const { requests, results } = await amplitude().run({
    ...buildIdentify({ messageId: 'm-3', userId: 'user-3' }),
    traits: { plan: 'pro', email: 'a@example.com' },
  });
  expect(results).toEqual([{ status: 'ok' }]);
  expect(events(requests)[0]![0]).toMatchObject({
    user_id: 'user-3',
    event_type: '$identify',
    user_properties: { $set: { plan: 'pro', email: 'a@example.com' } },
  });
});

test('sends at most 2,000 events and 1 MB per request', async () => {
  const many = await amplitude().run(Array.from({ length: 2001 }, (_, i) => clicked(`m${i}`)));
  expect(many.results.every((r) => r.status === 'ok')).toBe(true);
  expect(events(many.requests).map((e) => e.length)).toEqual([2000, 1]);

  const big = (i: number) => ({ ...clicked(`b${i}`), properties: { blob: 'x'.repeat(100_000) } });
  const large = await amplitude().run(Array.from({ length: 25 }, (_, i) => big(i)));
  expect(large.results.every((r) => r.status === 'ok')).toBe(true);
  expect(large.requests.length).toBeGreaterThan(2);
  for (const r of large.requests) expect(Buffer.byteLength(JSON.stringify(r.body))).toBeLessThanOrEqual(1_000_000);
});

test('a 400 naming events fails those alone and the rest are sent again', async () => {
  const { requests, results } = await amplitude().run([clicked('aaaaa'), clicked('b', { userId: 'ab', anonymousId: undefined }), clicked('ccccc')]);
  expect(results.map((r) => r.status)).toEqual(['ok', 'permanent', 'ok']);
  expect(results[1]).toMatchObject({ code: 'EVENT_INVALID', message: expect.stringContaining('invalid field user_id') });
  expect(events(requests).map((e) => e.map((x) => x.insert_id))).toEqual([
    ['aaaaa', 'b', 'ccccc'],
    ['aaaaa', 'ccccc'],
  ]);
  // With min_id_length lowered the short id is accepted.
  const lowered = await amplitude({ minIdLength: 2 }).run(clicked('b', { userId: 'ab', anonymousId: undefined }));
  expect(lowered.results).toEqual([{ status: 'ok' }]);
  expect(lowered.requests[0]!.body).toMatchObject({ options: { min_id_length: 2 } });
});

test('a 413 splits the request until it fits', async () => {
  let calls = 0;
  const tooLargeOverTwo: Responder = (request) => {
    calls += 1;
    return (request.body as { events: unknown[] }).events.length > 2 ? { status: 413, body: { code: 413, error: 'Payload too large' } } : httpApi(request);
  };
  const { requests, results } = await amplitude({}, tooLargeOverTwo).run(['1', '2', '3', '4', '5'].map((i) => clicked(`m${i}`)));
  expect(results.every((r) => r.status === 'ok')).toBe(true);
  expect(calls).toBe(requests.length);
  expect(
    events(requests)
      .filter((e) => e.length <= 2)
      .flat()
      .map((e) => e.insert_id),
  ).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']);
});

test('events without a user_id or device_id are skipped, not sent', async () => {
  const { requests, results } = await amplitude().run(clicked('m1', { userId: undefined, anonymousId: undefined }));
  expect(results).toEqual([{ status: 'ok', code: 'NO_ID' }]);
  expect(requests).toEqual([]);
});

test('a 429 without Retry-After pauses 30 s; a wrong key is an authentication failure that never shows the key', async () => {
  const throttled = await amplitude({}, () => ({
    status: 429,
    body: { code: 429, error: 'Too many requests for some devices and users', throttled_users: { 'user-m1': 31 } },
  })).run(clicked('m1'));
  expect(throttled.results[0]).toMatchObject({ status: 'rate_limited', httpStatus: 429, retryAfterMs: 30_000 });

  const wrongKey = 'amp-wrong-key-9876543210';
  const denied = await createTestHarness(connector, { settings: { apiKey: wrongKey } })
    .intercept('api2.amplitude.com', httpApi)
    .run(clicked('m1'));
  expect(denied.results[0]).toMatchObject({ status: 'authentication', code: 'AMPLITUDE_INVALID_API_KEY' });
  expect(denied.results[0]!.message).not.toContain(wrongKey);
  expect(denied.logs.join('\n')).not.toContain(wrongKey);
});

test('erasure asks the User Privacy API to delete the user_id, with basic auth', async () => {
  const { requests, result } = await amplitude({ deletionRequester: 'privacy@example.com' }).runDelete({ user_id: 'user-9', email: 'x@example.com' });
  expect(result).toEqual({ status: 'ok' });
  expect(requests).toEqual([
    expect.objectContaining({
      method: 'POST',
      url: 'https://amplitude.com/api/2/deletions/users',
      body: { user_ids: ['user-9'], ignore_invalid_ids: true, requester: 'privacy@example.com' },
    }),
  ]);

  const noSecret = await createTestHarness(connector, { settings: { apiKey: API_KEY } }).runDelete({ user_id: 'user-9' });
  expect(noSecret.result).toMatchObject({ status: 'permanent', code: 'NO_SECRET_KEY' });
  expect(noSecret.requests).toEqual([]);

  const wrongSecret = await createTestHarness(connector, { settings: { apiKey: API_KEY, secretKey: 'not-the-secret-key' } })
    .intercept('amplitude.com', deletions)
    .runDelete({ user_id: 'user-9' });
  expect(wrongSecret.result).toMatchObject({ status: 'authentication', httpStatus: 401 });
});
