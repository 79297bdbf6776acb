// Request format: https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html (PUT /<key>, virtual-hosted or
// path-style), signing: https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html, errors:
// https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html (XML <Error><Code>; SlowDown is 503).
import { checkManifest, egressFor, regionsFor, type AnyConnector } from '@switchyard/sdk-kit';
import { buildIdentify, buildTrack, createTestHarness, type MockResponse } from '@switchyard/sdk-kit/testing';
import connector from '../src/index.js';
import { ACCESS_KEY_ID, SECRET_ACCESS_KEY, createFakeS3 } from './fake-s3.js';

const settings = { bucket: 'acme-events', region: 'eu-central-1', accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY };
const AWS_HOST = 'acme-events.s3.eu-central-1.amazonaws.com';
const minio = { ...settings, region: 'us-east-1', endpoint: 'http://minio.internal:9000' };

const at = (receivedAt: string, overrides: Parameters<typeof buildTrack>[0] = {}) => ({ ...buildTrack(overrides), receivedAt });

function awsS3(extra: Record<string, unknown> = {}) {
  const s3 = createFakeS3(['acme-events']);
  return { s3, harness: createTestHarness(connector, { settings: { ...settings, ...extra } }).intercept(AWS_HOST, s3.respond) };
}

test("the manifest passes the router's checks; egress is the bucket's host, or the endpoint's", () => {
  expect(checkManifest(connector)).toEqual([]);
  const aws = connector as unknown as AnyConnector;
  expect(egressFor(aws, settings)).toEqual([AWS_HOST]);
  expect(regionsFor(aws, settings)).toEqual(['eu']);
  expect(egressFor(aws, { ...settings, pathStyle: true })).toEqual(['s3.eu-central-1.amazonaws.com']);
  expect(egressFor(aws, minio)).toEqual(['minio.internal:9000']);
  expect(regionsFor(aws, minio)).toEqual([]);
});

test('writes one gzipped JSON Lines object per source and UTC hour, under <prefix>/<source>/YYYY/MM/DD/HH/', async () => {
  const { s3, harness } = awsS3();
  const events = [
    at('2026-12-04T17:59:59.000Z', { messageId: 'm1', sourceId: 'web' }),
    at('2026-12-04T18:00:00.000Z', { messageId: 'm2', sourceId: 'web' }),
    { ...buildIdentify({ messageId: 'm3', sourceId: 'ios app' }), receivedAt: '2026-12-04T18:30:00.000Z' },
    at('2026-12-04T18:59:00.000Z', { messageId: 'm4', sourceId: 'web' }),
  ];
  const { results, requests } = await harness.run(events);
  expect(results).toEqual(events.map(() => ({ status: 'ok' })));
  expect(requests.map((r) => r.method)).toEqual(['PUT', 'PUT', 'PUT']);
  const stored = s3.lines();
  const keys = [...stored.keys()].sort();
  expect(keys).toEqual([
    expect.stringMatching(/^acme-events\/switchyard\/ios_app\/2026\/12\/04\/18\/[0-9a-f]{32}\.jsonl\.gz$/),
    expect.stringMatching(/^acme-events\/switchyard\/web\/2026\/12\/04\/17\/[0-9a-f]{32}\.jsonl\.gz$/),
    expect.stringMatching(/^acme-events\/switchyard\/web\/2026\/12\/04\/18\/[0-9a-f]{32}\.jsonl\.gz$/),
  ]);
  expect(stored.get(keys[2]!)!.map((e) => e.messageId)).toEqual(['m2', 'm4']);
  expect(stored.get(keys[0]!)![0]).toMatchObject({ messageId: 'm3', type: 'identify', sourceId: 'ios app' });
  expect([...s3.objects.values()].every((o) => o.contentType === 'application/gzip')).toBe(true);
  expect(requests[0]!.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE\/\d{8}\/eu-central-1\/s3\/aws4_request/);
});

test('a batch delivered again overwrites its own objects rather than adding copies', async () => {
  const { s3, harness } = awsS3();
  const batch = [at('2026-12-04T18:00:00.000Z', { messageId: 'a' }), at('2026-12-04T18:00:01.000Z', { messageId: 'b' })];
  await harness.run(batch);
  await harness.run(batch);
  expect(s3.objects.size).toBe(1);
  await harness.run([batch[0]!]);
  expect(s3.objects.size).toBe(2);
});

test('leaves out raw unless includeRaw is set', async () => {
  const event = { ...at('2026-12-04T18:00:00.000Z'), raw: { original: true } };
  const without = awsS3();
  await without.harness.run(event);
  expect([...without.s3.lines().values()][0]![0]).not.toHaveProperty('raw');
  const withRaw = awsS3({ includeRaw: true });
  await withRaw.harness.run(event);
  expect([...withRaw.s3.lines().values()][0]![0]).toMatchObject({ raw: { original: true } });
});

test('works with an S3-compatible store (MinIO) by path-style addressing on the endpoint', async () => {
  const store = createFakeS3(['acme-events'], { pathStyleHost: 'minio.internal:9000' });
  const { results, requests } = await createTestHarness(connector, { settings: { ...minio, prefix: 'raw/events' } })
    .intercept('minio.internal:9000', store.respond)
    .run(at('2026-01-02T03:04:05.000Z', { sourceId: 'web' }));
  expect(results).toEqual([{ status: 'ok' }]);
  expect(requests[0]!.url).toMatch(/^http:\/\/minio\.internal:9000\/acme-events\/raw\/events\/web\/2026\/01\/02\/03\/[0-9a-f]{32}\.jsonl\.gz$/);
  expect(requests[0]!.headers.authorization).toContain('/us-east-1/s3/aws4_request');
});

test('a refused signature is an authentication failure, and the secret key appears nowhere', async () => {
  const { harness } = awsS3({ secretAccessKey: 'not-the-right-secret-key' });
  const run = await harness.run(at('2026-12-04T18:00:00.000Z'));
  expect(run.results[0]).toMatchObject({ status: 'authentication', httpStatus: 403, code: 'AWS_SignatureDoesNotMatch' });
  const seen = JSON.stringify(run.results) + run.logs.join('\n');
  expect(seen).not.toContain('not-the-right-secret-key');
  expect(seen).not.toContain(SECRET_ACCESS_KEY);
});

test.each<[string, MockResponse, string]>([
  ['SlowDown (503) waits', { status: 503, body: '<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>' }, 'rate_limited'],
  [
    'InternalError (500) is retried',
    { status: 500, body: '<Error><Code>InternalError</Code><Message>We encountered an internal error.</Message></Error>' },
    'retryable',
  ],
  [
    'NoSuchBucket (404) is permanent',
    { status: 404, body: '<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message></Error>' },
    'permanent',
  ],
])('%s', async (_name, answer, status) => {
  const run = await createTestHarness(connector, { settings })
    .intercept(AWS_HOST, () => ({ ...answer, headers: { 'content-type': 'application/xml' } }))
    .run(at('2026-12-04T18:00:00.000Z'));
  expect(run.results[0]!.status).toBe(status);
});

test('an unknown bucket fails its events with what S3 said', async () => {
  const s3 = createFakeS3(['another-bucket']);
  const run = await createTestHarness(connector, { settings }).intercept(AWS_HOST, s3.respond).run(at('2026-12-04T18:00:00.000Z'));
  expect(run.results[0]).toMatchObject({ status: 'permanent', httpStatus: 404, message: expect.stringContaining('NoSuchBucket') });
});

test('a failed upload fails only the events of that object', async () => {
  const s3 = createFakeS3(['acme-events']);
  const { results } = await createTestHarness(connector, { settings })
    .intercept(AWS_HOST, (request) =>
      request.url.includes('/mobile/')
        ? { status: 503, body: '<Error><Code>SlowDown</Code><Message>Reduce your rate.</Message></Error>' }
        : s3.respond(request),
    )
    .run([at('2026-12-04T18:00:00.000Z', { sourceId: 'web' }), at('2026-12-04T18:00:00.000Z', { sourceId: 'mobile' })]);
  expect(results.map((r) => r.status)).toEqual(['ok', 'rate_limited']);
});
