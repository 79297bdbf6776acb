// Mixpanel's documented formats, which the stub checks:
// Import Events https://docs.mixpanel.com/reference/import-events (service account, project_id, strict=1, 2,000 events
// and 10 MB), https://docs.mixpanel.com/troubleshooting/errors/400-bad-request (failed_records; the others are
// ingested) and /413-payload-too-large; profile updates (/engage, $set); GDPR API
// https://docs.mixpanel.com/reference/gdpr-api (POST /api/app/data-deletions/v3.0/?token=, Bearer OAuth token).
import { checkManifest, egressFor, regionsFor } from '@switchyard/sdk-kit';
import { buildIdentify, buildPage, buildTrack, createTestHarness, type CapturedRequest, type Responder } from '@switchyard/sdk-kit/testing';
import connector, { insertId } from '../src/index.js';
import { engageApi, gdprApi, GDPR_TOKEN, importApi, PROJECT_ID, PROJECT_TOKEN, SA_SECRET, SA_USER } from './mixpanel-stub.js';

const settings = {
  projectId: PROJECT_ID,
  projectToken: PROJECT_TOKEN,
  serviceAccountUsername: SA_USER,
  serviceAccountSecret: SA_SECRET,
  gdprToken: GDPR_TOKEN,
};
const TIME = '2026-11-20T10:00:00.000Z';

function mixpanel(extra: Record<string, unknown> = {}, importer?: Responder) {
  const ingested: Array<Record<string, unknown>> = [];
  const harness = createTestHarness(connector, { settings: { ...settings, ...extra } })
    .intercept('api.mixpanel.com', (request) => (request.url.includes('/engage') ? engageApi(request) : (importer ?? importApi(ingested))(request)))
    .intercept('mixpanel.com', gdprApi);
  return { harness, ingested };
}
const bodies = (requests: CapturedRequest[], path: string) => requests.filter((r) => new URL(r.url).pathname === path).map((r) => r.body as any[]);

test("the manifest passes the router's checks; EU and India projects use their own hosts", () => {
  expect(checkManifest(connector)).toEqual([]);
  for (const [region, hosts] of [
    ['eu', ['api-eu.mixpanel.com', 'eu.mixpanel.com']],
    ['in', ['api-in.mixpanel.com', 'in.mixpanel.com']],
  ] as const) {
    const connection = createTestHarness(connector, { settings: { ...settings, region } }).connection;
    expect(egressFor(connector as never, connection.settings)).toEqual(hosts);
    expect(regionsFor(connector as never, connection.settings)).toEqual([region]);
  }
});

test('track and page events are imported with the service account, time in ms and an $insert_id Mixpanel accepts', async () => {
  const { harness, ingested } = mixpanel();
  const longId = 'msg_2026-11-20T10:00:00Z_some-source_0001';
  const { requests, results } = await harness.run([
    { ...buildTrack({ messageId: 'm-1', event: 'Video Played', userId: 'u-1', anonymousId: 'a-1', timestamp: TIME }), properties: { length: 30 } },
    buildPage({ messageId: longId, userId: undefined, anonymousId: 'a-2', timestamp: TIME }),
  ]);
  expect(results).toEqual([{ status: 'ok' }, { status: 'ok' }]);
  expect(requests[0]!.url).toBe(`https://api.mixpanel.com/import?strict=1&project_id=${PROJECT_ID}`);
  expect(bodies(requests, '/import')[0]![0]).toEqual({
    event: 'Video Played',
    properties: { length: 30, time: Date.parse(TIME), distinct_id: 'u-1', $insert_id: 'm-1', $user_id: 'u-1', $device_id: 'a-1', ip: '203.0.113.7' },
  });
  expect(ingested[1]).toMatchObject({ event: 'Page Viewed', properties: { distinct_id: 'a-2', $insert_id: insertId(longId) } });
  expect(insertId(longId)).toMatch(/^[0-9a-f]{36}$/);
});

test('a 400 fails only the failed_records and does not send the ingested events again', async () => {
  const { harness, ingested } = mixpanel();
  const { requests, results } = await harness.run([
    buildTrack({ messageId: 'm-1', userId: 'u-1' }),
    buildTrack({ messageId: 'm-2', userId: 'null', anonymousId: undefined }),
    buildTrack({ messageId: 'm-3', userId: 'u-3' }),
  ]);
  expect(results.map((r) => r.status)).toEqual(['ok', 'permanent', 'ok']);
  expect(results[1]).toMatchObject({ code: 'EVENT_INVALID', message: expect.stringContaining('properties.distinct_id') });
  expect(requests).toHaveLength(1);
  expect(ingested.map((e) => (e.properties as { $insert_id: string }).$insert_id)).toEqual(['m-1', 'm-3']);
});

test('sends at most 2,000 events per request; a 413 halves the request', async () => {
  const { harness } = mixpanel();
  const many = await harness.run(Array.from({ length: 2001 }, (_, i) => buildTrack({ messageId: `m-${i}`, userId: 'u-1' })));
  expect(many.results.every((r) => r.status === 'ok')).toBe(true);
  expect(bodies(many.requests, '/import').map((b) => b.length)).toEqual([2000, 1]);

  const overTwo: Responder = (request) =>
    (request.body as unknown[]).length > 2
      ? { status: 413, body: { code: 413, error: 'request exceeds max limit', status: 'Request Entity Too Large' } }
      : importApi()(request);
  const split = await mixpanel({}, overTwo).harness.run(['1', '2', '3', '4'].map((i) => buildTrack({ messageId: `m-${i}`, userId: 'u-1' })));
  expect(split.results.every((r) => r.status === 'ok')).toBe(true);
  expect(bodies(split.requests, '/import').map((b) => b.length)).toEqual([4, 2, 2]);
});

test('identify events $set the traits on the profile, reserved traits as $email, $first_name…', async () => {
  const { harness } = mixpanel();
  const { requests, results } = await harness.run([
    { ...buildIdentify({ userId: 'u-1' }), traits: { email: ' Ann@Example.com', firstName: 'Ann', plan: 'pro' } },
    { ...buildIdentify({ userId: undefined, anonymousId: undefined }), traits: { plan: 'free' } },
  ]);
  expect(results).toEqual([{ status: 'ok' }, { status: 'ok', code: 'NO_ID' }]);
  expect(requests[0]!.url).toBe('https://api.mixpanel.com/engage?verbose=1');
  expect(bodies(requests, '/engage')).toEqual([
    [{ $token: PROJECT_TOKEN, $distinct_id: 'u-1', $set: { $email: 'ann@example.com', $first_name: 'Ann', plan: 'pro' }, $ip: '203.0.113.7' }],
  ]);
});

test('a refused /engage batch is sent again update by update, so only the invalid one fails', async () => {
  const { harness } = mixpanel();
  const tooMany = Object.fromEntries(Array.from({ length: 256 }, (_, i) => [`p${i}`, i]));
  const { results } = await harness.run([
    { ...buildIdentify({ userId: 'u-1' }), traits: { plan: 'pro' } },
    { ...buildIdentify({ userId: 'u-2' }), traits: tooMany },
  ]);
  expect(results.map((r) => r.status)).toEqual(['ok', 'permanent']);
  expect(results[1]).toMatchObject({ code: 'PROFILE_INVALID', message: expect.stringContaining('more than 255') });
});

test('a wrong service account is an authentication failure that never shows the secret; 429 waits for Retry-After', async () => {
  const wrong = 'mp-wrong-secret-0000000';
  const denied = await mixpanel({ serviceAccountSecret: wrong }).harness.run(buildTrack({ userId: 'u-1' }));
  expect(denied.results[0]).toMatchObject({ status: 'authentication', httpStatus: 401 });
  expect(denied.results[0]!.message).not.toContain(wrong);
  expect(denied.logs.join('\n')).not.toContain(wrong);

  const limited = await mixpanel({}, () => ({ status: 429, headers: { 'retry-after': '2' }, body: { code: 429, error: 'rate limited' } })).harness.run(
    buildTrack({ userId: 'u-1' }),
  );
  expect(limited.results[0]).toMatchObject({ status: 'rate_limited', retryAfterMs: 2000 });
});

test('erasure creates a GDPR deletion task for the user id and anonymous id', async () => {
  const { harness } = mixpanel();
  const { requests, result } = await harness.runDelete({ user_id: 'u-9', anonymous_id: 'a-9', email: 'x@example.com' });
  expect(result).toEqual({ status: 'ok' });
  expect(requests.map((r) => [r.method, r.url, r.body])).toEqual([
    ['POST', `https://mixpanel.com/api/app/data-deletions/v3.0/?token=${PROJECT_TOKEN}`, { distinct_ids: ['u-9', 'a-9'], compliance_type: 'GDPR' }],
  ]);

  const { gdprToken: _none, ...withoutToken } = settings;
  const noToken = await createTestHarness(connector, { settings: withoutToken }).runDelete({ user_id: 'u-9' });
  expect(noToken.result).toMatchObject({ status: 'permanent', code: 'NO_GDPR_TOKEN' });
  expect(noToken.requests).toEqual([]);
});
