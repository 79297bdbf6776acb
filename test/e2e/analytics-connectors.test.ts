import { jest } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startCliRouter, type CliRouter } from '../helpers/cli-router.js';
import { RecordingSink } from '../helpers/recording-sink.js';

// A router process and its worker threads, against loopback stubs: seconds on a loaded 2-core machine.
jest.setTimeout(90_000);

const WRITE_KEY = 'wk_analytics';
const AMPLITUDE_KEY = 'amp-api-key-0123456789';
const MIXPANEL = { projectId: '2195193', user: 'sa.switchyard', secret: 'mp-sa-secret-0123456789' };

/** Amplitude's /2/httpapi: the api_key, and a 400 naming events whose user_id is under 5 characters. */
const amplitude = new RecordingSink((r) => {
  if (r.body?.api_key !== AMPLITUDE_KEY) return { status: 400, body: { code: 400, error: 'Invalid API key' } };
  const short = (r.body.events as Array<{ user_id?: string }>).flatMap((e, i) => (e.user_id && e.user_id.length < 5 ? [i] : []));
  return short.length
    ? { status: 400, body: { code: 400, error: 'Request missing required field', events_with_invalid_fields: { user_id: short } } }
    : { status: 200, body: { code: 200, events_ingested: r.body.events.length } };
});
/** Mixpanel's /import?strict=1: the service account, and failed_records for a placeholder distinct_id (the rest ingested). */
const mixpanel = new RecordingSink((r) => {
  const basic = `Basic ${Buffer.from(`${MIXPANEL.user}:${MIXPANEL.secret}`).toString('base64')}`;
  if (r.headers.authorization !== basic || !r.path.includes(`project_id=${MIXPANEL.projectId}`)) return { status: 401, body: { error: 'Invalid credentials' } };
  const failed = (r.body as Array<{ properties: { distinct_id: string } }>).flatMap((e, index) =>
    e.properties.distinct_id === 'null' ? [{ index, field: 'properties.distinct_id', message: 'invalid' }] : [],
  );
  return failed.length ? { status: 400, body: { code: 400, failed_records: failed } } : { status: 200, body: { code: 200, status: 'OK' } };
});

let dir: string;
let router: CliRouter;

beforeAll(async () => {
  await Promise.all([amplitude.start(), mixpanel.start()]);
  dir = mkdtempSync(join(tmpdir(), 'switchyard-analytics-'));
  const batch = { batch: { maxItems: 100, maxWaitMs: 200 } };
  const config = {
    storage: { dir: './data' },
    sources: [{ id: 'web', type: 'segment', writeKey: WRITE_KEY }],
    connections: [
      { id: 'amp', connector: 'amplitude', settings: { apiKey: AMPLITUDE_KEY }, delivery: batch, endpointOverrides: { 'api2.amplitude.com': amplitude.url } },
      {
        id: 'mp',
        connector: 'mixpanel',
        settings: {
          projectId: MIXPANEL.projectId,
          projectToken: 'mp-project-token-0123456789',
          serviceAccountUsername: MIXPANEL.user,
          serviceAccountSecret: MIXPANEL.secret,
        },
        delivery: batch,
        endpointOverrides: { 'api.mixpanel.com': mixpanel.url },
      },
    ],
  };
  writeFileSync(join(dir, 'switchyard.yaml'), stringify(config));
  router = await startCliRouter(join(dir, 'switchyard.yaml'), { cwd: dir });
});

afterAll(async () => {
  await router?.stop();
  await Promise.all([amplitude.stop(), mixpanel.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

test('the router delivers one batch to Amplitude and Mixpanel from its workers; only the events each vendor names are held back', async () => {
  const track = (messageId: string, userId: string) => ({ type: 'track', messageId, event: 'Clicked', userId, anonymousId: `anon-${messageId}` });
  const response = await fetch(`${router.url}/v1/batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${WRITE_KEY}:`).toString('base64')}` },
    body: JSON.stringify({ batch: [track('m-1', 'user-1'), track('m-2', 'abc'), track('m-3', 'null')] }),
  });
  expect(response.status).toBe(200);

  const insertIds = (events: Array<{ insert_id: string }>) => events.map((e) => e.insert_id);
  // Amplitude: the batch, then the valid event again after the 400 named the two short user_ids ("abc", "null").
  await amplitude.waitFor(() => amplitude.requests.length >= 2, 'the resend to Amplitude');
  expect(amplitude.requests.map((r) => insertIds(r.body.events))).toEqual([['m-1', 'm-2', 'm-3'], ['m-1']]);
  // Mixpanel gets the batch as sent; it ingests the events its 400 does not name.
  await mixpanel.waitFor(() => mixpanel.requests.length >= 1, 'the Mixpanel import');
  expect(mixpanel.requests[0]!.body.map((e: { properties: { $insert_id: string } }) => e.properties.$insert_id)).toEqual(['m-1', 'm-2', 'm-3']);
  expect(router.output()).not.toContain(MIXPANEL.secret);
});
