import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { SwitchyardConfig } from '../../src/index.js';
import { until } from '../helpers/deliveries.js';
import { HttpSink, type CapturedRequest } from '../helpers/http-sink.js';
import { dropSchemas, PG_URL, randomSchema } from '../helpers/identity-stores.js';
import { RouterFixture } from '../helpers/router.js';
import { FIXTURES } from '../helpers/runtime.js';

const ADMIN = 'admin-token-shared-dsr-0001';
/** Long enough to look at (and cancel) a pending request through the other router. */
const GRACE_MS = 1_000;
const ROUNDS = 10;

/**
 * Two routers sharing one PostgreSQL schema answer for the same data-subject requests: a request sent to one is
 * seen, cancelled and downloaded through the other, and runs once in the cluster although both routers process.
 */
describe('data-subject requests shared in PostgreSQL across routers', () => {
  const schema = randomSchema();
  let sink: HttpSink;
  let a: RouterFixture;
  let b: RouterFixture;

  const config = (prefix: string): SwitchyardConfig => ({
    admin: { tokens: [ADMIN] },
    // Each router looks for due requests every few ms, so both reach for every request as its grace period ends.
    dsr: { gracePeriodMs: GRACE_MS, sweepIntervalMs: 10 },
    state: { type: 'postgres', url: PG_URL, schema },
    sources: [{ id: 'web', type: 'segment', writeKey: 'wk_web' }],
    connections: [{ id: 'ads', connector: join(FIXTURES, 'deletable'), settings: { url: `${sink.url}${prefix}` } }],
  });

  beforeAll(async () => {
    sink = await new HttpSink().start();
    a = await new RouterFixture(config('/a')).start();
    b = await new RouterFixture(config('/b')).start();
  });

  afterAll(async () => {
    await a?.close();
    await b?.close();
    await sink?.stop();
    await dropSchemas([schema]);
  });

  const opendsr = (router: RouterFixture, method: string, path: string, body?: unknown) =>
    router.send(`/opendsr/v1${path}`, body, { method, headers: { authorization: `Bearer ${ADMIN}` } });
  const request = (type: 'erasure' | 'access', user: string) => {
    const id = randomUUID();
    return {
      regulation: 'gdpr',
      subject_request_id: id,
      subject_request_type: type,
      submitted_time: new Date().toISOString(),
      subject_identities: [{ identity_type: 'user_id', identity_value: user, identity_format: 'raw' }],
      api_version: '1.0',
      status_callback_urls: [`${sink.url}/callbacks/${id}`],
    };
  };
  const statusAt = async (router: RouterFixture, id: string) => {
    const response = await opendsr(router, 'GET', `/requests/${id}`);
    expect(response.status).toBe(200);
    return response.json as { request_status: string; results_url?: string };
  };
  const completedOnBoth = (id: string) =>
    until(
      async () => (await statusAt(a, id)).request_status === 'completed' && (await statusAt(b, id)).request_status === 'completed',
      `request ${id} completed, seen from both`,
    );
  const deletionsOf = (user: string) =>
    sink.requests.filter((r) => r.path.endsWith('/delete') && (r.body as { identities?: Record<string, string> }).identities?.user_id === user);
  const callbacksOf = (id: string, status: string) =>
    sink.requests.filter((r: CapturedRequest) => r.path === `/callbacks/${id}` && (r.body as { request_status?: string }).request_status === status);

  it('shows a request sent to router A through router B, pending and then completed', async () => {
    const sent = request('erasure', 'u-seen');
    expect((await opendsr(a, 'POST', '/requests', sent)).status).toBe(201);
    // Within the grace period: no router has started it yet.
    expect(await statusAt(b, sent.subject_request_id)).toMatchObject({ subject_request_id: sent.subject_request_id, request_status: 'pending' });
    await completedOnBoth(sent.subject_request_id);
    expect(deletionsOf('u-seen')).toHaveLength(1);
  });

  it('refuses at router B a request id already sent to router A', async () => {
    const sent = request('erasure', 'u-twice');
    expect((await opendsr(a, 'POST', '/requests', sent)).status).toBe(201);
    const again = await opendsr(b, 'POST', '/requests', sent);
    expect(again.status).toBe(409);
    expect(again.json.error.message).toContain('already submitted');
    await completedOnBoth(sent.subject_request_id);
  });

  it('cancels through router B a pending request sent to router A, which then never runs', async () => {
    const cancelled = request('erasure', 'u-cancelled');
    expect((await opendsr(a, 'POST', '/requests', cancelled)).status).toBe(201);
    expect((await opendsr(b, 'DELETE', `/requests/${cancelled.subject_request_id}`)).status).toBe(202);
    // Sent after it with the same grace period: once this one has completed, the cancelled one would have run.
    const later = request('erasure', 'u-after-cancelled');
    expect((await opendsr(a, 'POST', '/requests', later)).status).toBe(201);
    await completedOnBoth(later.subject_request_id);
    for (const router of [a, b]) expect(await statusAt(router, cancelled.subject_request_id)).toMatchObject({ request_status: 'cancelled' });
    expect(deletionsOf('u-cancelled')).toEqual([]);
    expect(callbacksOf(cancelled.subject_request_id, 'in_progress')).toEqual([]);
  });

  it('runs each request once in the cluster while both routers process, round after round', async () => {
    const sent = Array.from({ length: ROUNDS }, (_, round) => request('erasure', `u-once-${round}`));
    // Sent to either router; both reach for each one as its grace period ends.
    const answers = await Promise.all(sent.map((body, round) => opendsr(round % 2 ? b : a, 'POST', '/requests', body)));
    expect(answers.map((r) => r.status)).toEqual(sent.map(() => 201));
    for (const body of sent) await completedOnBoth(body.subject_request_id);
    for (const [round, body] of sent.entries()) {
      expect(deletionsOf(`u-once-${round}`)).toHaveLength(1);
      await until(() => callbacksOf(body.subject_request_id, 'completed').length > 0, 'the completed callback');
      expect(callbacksOf(body.subject_request_id, 'in_progress')).toHaveLength(1);
      expect(callbacksOf(body.subject_request_id, 'completed')).toHaveLength(1);
    }
  }, 90_000);

  it('serves an access export through either router, whichever wrote it', async () => {
    // Known to the shared identity graph, so the export has the person's identifiers.
    const tracked = await a.send('/v1/track', { messageId: randomUUID(), userId: 'u-export', event: 'Viewed' }, { auth: 'wk_web:' });
    expect(tracked.status).toBe(200);
    const sent = request('access', 'u-export');
    expect((await opendsr(b, 'POST', '/requests', sent)).status).toBe(201);
    await completedOnBoth(sent.subject_request_id);
    const { results_url: resultsUrl } = await statusAt(a, sent.subject_request_id);
    const path = new URL(resultsUrl!).pathname;
    const bodies: string[] = [];
    for (const router of [a, b]) {
      const response = await fetch(`${router.url}${path}`);
      expect(response.status).toBe(200);
      bodies.push(await response.text());
    }
    expect(bodies[0]).toBe(bodies[1]);
    expect(
      bodies[0]
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line).kind),
    ).toContain('identity');
  });
});
