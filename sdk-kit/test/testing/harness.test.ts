import { Type, defineConnector, errorForHttpStatus } from '../../src/index.js';
import { buildIdentify, buildTrack, createTestHarness, networkError, neverAnswer } from '../../src/testing/index.js';
import acme from '../fixtures/good-connector.js';

const settings = { apiKey: 'acme-key-0123456789' };

test('returns the requests the connector made, with parsed JSON bodies, and one result per event', async () => {
  const harness = createTestHarness(acme, { settings });
  const track = buildTrack({ messageId: 'm-1', event: 'Signed Up' });
  const { requests, results } = await harness.runAction('send', [track, buildIdentify()]);
  expect(results).toEqual([{ status: 'ok' }, { status: 'ok', code: 'NOT_SUBSCRIBED' }]);
  expect(requests).toHaveLength(1);
  expect(requests[0]).toMatchObject({
    method: 'POST',
    url: 'https://api.acme.example/v1/batch',
    host: 'api.acme.example',
    body: { events: [{ name: 'Signed Up', userId: 'user-1', email: 'jane.doe@example.com', id: 'm-1' }] },
  });
  expect(requests[0]!.headers.authorization).toBe(`Bearer ${settings.apiKey}`);
});

test('validates settings the way the router does, with the same message', () => {
  expect(() => createTestHarness(acme, { settings: { apiKey: 'short' } })).toThrow(
    'connection "conn-test" has invalid settings for connector "acme": settings.apiKey: must NOT have fewer than 8 characters',
  );
});

test('applies operator mapping overrides', async () => {
  const harness = createTestHarness(acme, { settings, mappingOverrides: { send: { name: { '@literal': 'renamed' } } } });
  const { requests } = await harness.run(buildTrack());
  expect((requests[0]!.body as { events: Array<{ name: string }> }).events[0]!.name).toBe('renamed');
});

test('answers each host with its intercept, and classifies the answer like the runtime', async () => {
  const harness = createTestHarness(acme, { settings }).intercept('api.acme.example', () => ({
    status: 429,
    headers: { 'retry-after': '3' },
    body: { error: 'slow down' },
  }));
  const { results } = await harness.run(buildTrack());
  expect(results[0]).toMatchObject({ status: 'rate_limited', code: 'HTTP_429', retryAfterMs: 3000, httpStatus: 429 });

  harness.intercept('*.acme.example', () => {
    throw networkError('ETIMEDOUT');
  });
  expect((await harness.run(buildTrack())).results[0]).toMatchObject({ status: 'retryable' });
});

test('reports per-item results of a batch', async () => {
  const harness = createTestHarness(acme, {
    settings,
    respond: () => ({ status: 200, body: { errors: [{ index: 1, status: 400, message: 'bad name' }] } }),
  });
  const { results } = await harness.run([buildTrack(), buildTrack(), buildTrack()]);
  expect(results.map((r) => r.status)).toEqual(['ok', 'permanent', 'ok']);
});

const sneaky = defineConnector({
  name: 'sneaky',
  version: '1.0.0',
  category: 'analytics',
  settings: Type.Object({ target: Type.String() }),
  egress: ['allowed.example'],
  actions: {
    send: {
      subscribe: { types: 'all' },
      fields: Type.Object({}),
      defaultMapping: {},
      async perform(ctx) {
        if (ctx.settings.target === 'fetch') {
          const response = await fetch('https://elsewhere.example/x', { method: 'POST', body: 'x' });
          if (!response.ok) throw errorForHttpStatus(response.status, {}, await response.text());
        } else await ctx.http.post('https://elsewhere.example/x', { json: {} });
      },
    },
  },
});

test('a request through ctx.http to a host outside egress is an EGRESS_DENIED result, never sent', async () => {
  const { results, requests, denied } = await createTestHarness(sneaky, { settings: { target: 'http' } }).run(buildTrack());
  expect(results[0]).toMatchObject({ status: 'permanent', code: 'EGRESS_DENIED' });
  expect(results[0]!.message).toContain('elsewhere.example');
  expect(requests).toEqual([]);
  expect(denied).toEqual(['https://elsewhere.example/x']);
});

test('a request that bypasses ctx.http to an undeclared host is recorded and answered 403, not sent', async () => {
  const { results, requests } = await createTestHarness(sneaky, { settings: { target: 'fetch' } }).run(buildTrack());
  expect(requests.map((r) => r.url)).toEqual(['https://elsewhere.example/x']);
  expect(requests[0]!.body).toBe('x');
  expect(results[0]).toMatchObject({ status: 'authentication', httpStatus: 403 });
  expect(results[0]!.message).toContain('EGRESS_DENIED');
});

test('a responder that never answers makes the request time out, which is retryable', async () => {
  const harness = createTestHarness(acme, { settings, respond: neverAnswer, requestTimeoutMs: 100 });
  expect((await harness.run(buildTrack())).results[0]).toMatchObject({ status: 'retryable', code: 'TIMEOUT' });
});

test('runDelete forwards an erasure and classifies its errors', async () => {
  const harness = createTestHarness(acme, { settings });
  const ok = await harness.runDelete({ user_id: 'user 7' });
  expect(ok.result).toEqual({ status: 'ok' });
  expect(ok.requests.map((r) => `${r.method} ${r.url}`)).toEqual(['DELETE https://api.acme.example/v1/users/user%207']);
  harness.respond(() => ({ status: 401 }));
  expect((await harness.runDelete({ user_id: 'u' })).result).toMatchObject({ status: 'authentication', code: 'HTTP_401' });
});

test('captures ctx.log lines with secret settings scrubbed', async () => {
  const { logs } = await createTestHarness(acme, { settings }).run(buildTrack());
  expect(logs.some((l) => l.includes('sending one event'))).toBe(true);
  expect(logs.join('\n')).not.toContain(settings.apiKey);
});

test('leaves no interceptor behind once a run is over', async () => {
  await createTestHarness(acme, { settings }).run(buildTrack());
  const nock = (await import('nock')).default;
  expect(nock.activeMocks()).toEqual([]);
});

test('runExport hands back what onExport read, JSON-safe, and classifies what it throws', async () => {
  const exporting = (onExport: () => unknown) =>
    createTestHarness(
      defineConnector({
        name: 'exporting',
        version: '1.0.0',
        category: 'storage',
        settings: Type.Object({}),
        egress: [],
        actions: {
          keep: {
            subscribe: { types: 'all' },
            fields: Type.Object({}),
            defaultMapping: {},
            perform() {
              /* nothing */
            },
          },
        },
        onExport: onExport as never,
      }),
      { settings: {} },
    );
  const read = await exporting(() => [
    { source: 'rows', data: { id: 'm-1', visits: 3n, at: new Date('2026-01-15T10:00:00Z'), nested: { n: 2n ** 70n } } },
  ]).runExport({ user_id: 'u-1' });
  expect(read.result).toEqual({ status: 'ok' });
  expect(read.records).toEqual([{ source: 'rows', data: { id: 'm-1', visits: 3, at: '2026-01-15T10:00:00.000Z', nested: { n: '1180591620717411303424' } } }]);
  expect((await exporting(() => ({ rows: [] })).runExport({ user_id: 'u-1' })).result).toMatchObject({ status: 'permanent', code: 'EXPORT_INVALID' });
  expect(
    (
      await exporting(() => {
        throw errorForHttpStatus(503, {}, 'down');
      }).runExport({ user_id: 'u-1' })
    ).result,
  ).toMatchObject({ status: 'retryable' });
  expect(await createTestHarness(acme, { settings }).runExport({ user_id: 'u-1' })).toMatchObject({
    result: { status: 'ok', code: 'NO_EXPORT_SUPPORT' },
    records: [],
  });
});
