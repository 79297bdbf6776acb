import { jest } from '@jest/globals';
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { PRIVACY_FEED_POLL_MS } from '@switchyard/core';
import { RecordingSink, type RecordedRequest } from '../helpers/recording-sink.js';
import { ADMIN_TOKEN, eventually, removeNatsQueue, startNatsRouter, TEST_NATS, uniqueStream, WRITE_KEY, type NatsRouter } from './nats-helpers.js';

jest.setTimeout(240_000);

const PG_URL = process.env.SWITCHYARD_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const ROUNDS = 10;
/**
 * docs/deployment.md, "The bound": no request with the person's data starts later than PRIVACY_FEED_POLL_MS after
 * the acknowledgement, plus the time to read the change; this allows that read (and the loopback trip) 500 ms on a
 * machine other test runs share.
 */
const BOUND_MS = PRIVACY_FEED_POLL_MS + 500;
const DOMAIN = 'switchyard.localhost';
/** Retries every 50-100 ms: a delivery the revocation failed to stop reaches the sink soon after. */
const DELIVERY = { batch: { maxItems: 1 }, retry: { baseDelayMs: 50, maxDelayMs: 100, maxAttempts: 100_000 }, breaker: { volumeThreshold: 100_000 } };
type Kind = 'suppression' | 'consent withdrawal' | 'erasure';

/**
 * Routers A and B in separate processes on one NATS stream and one PostgreSQL schema. A person's events sent to B
 * are refused (503) and retried every 50-100 ms by whichever router holds them (B, in practice), also after A
 * acknowledged a revocation: the test waits until the queue is empty (a router that did not apply the revocation
 * keeps retrying, and the wait fails), then checks at the sink that no request with the person's data arrived
 * from either router later than the documented bound after A's answer, while other people's events were delivered.
 */
describe('a revocation acknowledged by router A, across processes', () => {
  const schema = `sy_e2e_${randomBytes(6).toString('hex')}`;
  const stream = uniqueStream();
  /** `<userId> <connection>`: what the sink refuses for now. */
  const refused = new Set<string>();
  const sink = new RecordingSink((r) => (refused.has(`${r.body?.userId} ${r.path.split('/').at(-1)}`) ? { status: 503, body: {} } : { status: 200, body: {} }));
  let a: NatsRouter;
  let b: NatsRouter;
  /** Per kind, how late the person's last request reached the sink after A's answer (ms), and whether B held them. */
  const figures: Record<string, Array<{ lastAfterAckMs: number; retriedByB: boolean }>> = {};

  const router = (name: string) =>
    startNatsRouter({
      stream,
      state: { type: 'postgres', url: PG_URL, schema },
      config: { dsr: { gracePeriodMs: 0 }, privacy: { purposes: [{ id: 'marketing', segmentCategories: ['Marketing'] }] } },
      connections: [
        { id: 'crm', connector: 'webhook', settings: { url: `${sink.url}/${name}/crm` }, delivery: DELIVERY },
        {
          id: 'newsletter',
          connector: 'webhook',
          consent: { purposes: ['marketing'] },
          settings: { url: `${sink.url}/${name}/newsletter` },
          delivery: DELIVERY,
        },
      ],
    });

  beforeAll(async () => {
    await sink.start();
    a = await router('a');
    b = await router('b');
  });
  afterAll(async () => {
    await Promise.all([a?.remove(), b?.remove()]);
    await sink.stop();
    await removeNatsQueue([TEST_NATS], stream);
    const db = new pg.Client({ connectionString: PG_URL });
    await db.connect();
    await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await db.end();
    // The figures for docs/deployment.md ("What was verified here").
    console.log(`revocation figures: ${JSON.stringify(figures)}`);
  });

  const call = async (to: NatsRouter, path: string, body?: unknown, auth = `Bearer ${ADMIN_TOKEN}`) => {
    const response = await fetch(`${to.url}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, json: (await response.json()) as any };
  };
  const track = async (to: NatsRouter, message: Record<string, unknown>) => {
    const messageId = randomUUID();
    const response = await call(to, '/v1/track', { messageId, event: 'Viewed', ...message }, `Basic ${Buffer.from(`${WRITE_KEY}:`).toString('base64')}`);
    expect(response.status).toBe(200);
    return messageId;
  };
  const consent = (marketing: boolean) => ({ context: { consent: { categoryPreferences: { Marketing: marketing } } } });
  const requestsFor = (user: string, connections: string[]) =>
    sink.requests.filter((r) => r.body?.userId === user && connections.some((c) => r.path.endsWith(`/${c}`)));
  const attempts = (messageId: string, connection: string, requests: RecordedRequest[] = sink.requests) =>
    requests.filter((r) => r.body?.messageId === messageId && r.path.endsWith(`/${connection}`));

  /** Sends the revocation to A; resolves with Date.now() at the moment A acknowledged it. */
  const revoke = async (kind: Kind, user: string): Promise<number> => {
    if (kind === 'suppression') {
      expect((await call(a, '/admin/v1/suppressions', { identity_type: 'user_id', identity_value: user })).status).toBe(201);
      return Date.now();
    }
    if (kind === 'consent withdrawal') {
      await track(a, { userId: user, event: 'Unsubscribed', ...consent(false) });
      return Date.now();
    }
    const id = randomUUID();
    const submitted = await call(a, '/opendsr/v1/requests', {
      regulation: 'gdpr',
      subject_request_id: id,
      subject_request_type: 'erasure',
      submitted_time: new Date().toISOString(),
      subject_identities: [{ identity_type: 'user_id', identity_value: user, identity_format: 'raw' }],
      api_version: '1.0',
      // The erasure alone, without the suppression that usually comes with it.
      extensions: { [DOMAIN]: { suppress: false } },
    });
    expect(submitted.status).toBe(201);
    // An erasure is acknowledged when its request is completed (its change is shared before that).
    for (;;) {
      const status = await call(a, `/opendsr/v1/requests/${id}`);
      if (status.json.request_status === 'completed') return Date.now();
      expect(status.json.request_status).not.toBe('cancelled');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };

  const queuedNowhere = () =>
    eventually(
      () => call(a, '/admin/v1/connections'),
      (r) => r.json.connections?.crm?.queued === 0 && r.json.connections?.newsletter?.queued === 0,
      'both connections to settle everything queued',
      60_000,
    );

  const round = async (kind: Kind, n: number) => {
    const user = `u-${kind.split(' ')[0]}-${n}-${randomBytes(3).toString('hex')}`;
    // Which connections the revocation stops: all of them, or the one that needs the consent withdrawn.
    const stopped = kind === 'consent withdrawal' ? ['newsletter'] : ['crm', 'newsletter'];
    for (const c of stopped) refused.add(`${user} ${c}`);
    const queuedAtB = [await track(b, { userId: user, ...consent(true) }), await track(b, { userId: user }), await track(b, { userId: user })];
    // Every one of them refused twice or more: they are retrying in a router's queue.
    await sink.waitFor(() => queuedAtB.every((id) => stopped.every((c) => attempts(id, c).length >= 2)), `the retries of ${user}'s events`);

    const ackAt = await revoke(kind, user);
    // Sent to B after A's answer: stopped too, but by a suppression or a withdrawal only (after an erasure alone, the
    // person's new events are new data, delivered as usual).
    const late = kind === 'erasure' ? [] : [await track(b, { userId: user, event: 'Late' })];
    const other = await track(b, { userId: `u-other-${n}`, ...consent(true) });
    await sink.waitFor(() => ['crm', 'newsletter'].every((c) => attempts(other, c).some((r) => r.receivedAt > ackAt)), "another person's event delivered");
    await queuedNowhere();
    for (const c of stopped) refused.delete(`${user} ${c}`);

    const ofUser = requestsFor(user, stopped);
    const tooLate = ofUser.filter((r) => r.receivedAt > ackAt + BOUND_MS);
    expect(tooLate.map((r) => ({ path: r.path, messageId: r.body.messageId, afterAckMs: r.receivedAt - ackAt }))).toEqual([]);
    // A consent withdrawal stops only the connection that needs the consent.
    if (kind === 'consent withdrawal') for (const id of [...queuedAtB, ...late]) expect(attempts(id, 'crm').length).toBeGreaterThan(0);
    (figures[kind] ??= []).push({
      lastAfterAckMs: Math.max(...ofUser.map((r) => r.receivedAt - ackAt)),
      retriedByB: ofUser.some((r) => r.path.startsWith('/b/') && r.receivedAt < ackAt),
    });
  };

  it.each<Kind>(['suppression', 'consent withdrawal', 'erasure'])(
    `a %s sent to router A: no request with the person's data reaches a destination from any router later than the bound after A's answer (${ROUNDS} rounds)`,
    async (kind) => {
      for (let n = 0; n < ROUNDS; n += 1) await round(kind, n);
      // Router B really held the person's retries in some rounds (the shared consumer gives them to either router).
      expect(figures[kind]!.some((f) => f.retriedByB)).toBe(true);
    },
  );
});
