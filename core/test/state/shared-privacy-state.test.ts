import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { SwitchyardConfig } from '../../src/index.js';
import { eventsOf, until } from '../helpers/deliveries.js';
import { HttpSink, type CapturedRequest } from '../helpers/http-sink.js';
import { dropSchemas, PG_URL, randomSchema } from '../helpers/identity-stores.js';
import { RouterFixture } from '../helpers/router.js';
import pg from 'pg';
import { PRIVACY_FEED_POLL_MS } from '../../src/privacy/postgres-privacy-feed.js';
import { REVOCATION_HOLD_WAIT_MS } from '../../src/revocation/revocation-board.js';

const ADMIN = 'admin-token-shared-state-01';
const DOMAIN = 'switchyard.localhost';
const ROUNDS = 3;
/** Retries often, so a delivery the late check failed to stop would reach the sink soon after it opens. */
const slowRetry = { retry: { baseDelayMs: 50, maxDelayMs: 100, maxAttempts: 10_000 }, breaker: { volumeThreshold: 100_000 } };
/**
 * The documented bound (docs/deployment.md): the poll when a notification is lost, then the wait for requests B's
 * workers had checked before the change; plus time to read it on a loaded machine.
 */
const APPLIED_WITHIN_MS = PRIVACY_FEED_POLL_MS + REVOCATION_HOLD_WAIT_MS + 2_000;

/**
 * Two routers sharing one PostgreSQL schema: what one acknowledges (a suppression, a consent withdrawal, an
 * erasure) stops the other's deliveries of that person, and both see one identity graph.
 */
describe('shared state in PostgreSQL across routers', () => {
  const schema = randomSchema();
  let sink: HttpSink;
  let a: RouterFixture;
  let b: RouterFixture;
  let db: pg.Client;
  /** Set once router B is known to hold the change: from then on a delivery of the person is a leak. */
  let openedAt = Infinity;

  const config = (prefix: string): SwitchyardConfig => ({
    admin: { tokens: [ADMIN] },
    dsr: { gracePeriodMs: 0 },
    state: { type: 'postgres', url: PG_URL, schema },
    privacy: { purposes: [{ id: 'marketing', segmentCategories: ['Marketing'] }] },
    sources: [{ id: 'web', type: 'segment', writeKey: 'wk_web' }],
    audiences: [{ key: 'repeat-buyers', rule: { event: 'Order Completed', gte: 2 } }],
    connections: [
      {
        id: 'newsletter',
        connector: 'webhook',
        consent: { purposes: ['marketing'] },
        settings: { url: `${sink.url}${prefix}/newsletter` },
        delivery: slowRetry,
      },
      { id: 'crm', connector: 'webhook', settings: { url: `${sink.url}${prefix}/crm` }, delivery: slowRetry },
    ],
  });

  beforeAll(async () => {
    sink = await new HttpSink().start();
    // Refused (and retried) until the test opens the sink: B's deliveries wait in its queue, attempted again and again.
    sink.responder = (request) => {
      if (request.path === '/open') openedAt = request.receivedAt;
      return request.receivedAt >= openedAt ? { status: 200 } : { status: 503 };
    };
    a = await new RouterFixture(config('/a')).start();
    b = await new RouterFixture(config('/b')).start();
    db = new pg.Client({ connectionString: PG_URL });
    await db.connect();
  });

  afterAll(async () => {
    await a?.close();
    await b?.close();
    await sink.stop();
    await db?.end();
    await dropSchemas([schema]);
  });

  const admin = (router: RouterFixture, method: string, path: string, body?: unknown) =>
    router.send(path, body, { method, headers: { authorization: `Bearer ${ADMIN}` } });
  const track = async (router: RouterFixture, message: Record<string, unknown>) => {
    const messageId = randomUUID();
    const response = await router.send('/v1/track', { messageId, event: 'Viewed', ...message }, { auth: 'wk_web:' });
    expect(response.status).toBe(200);
    return messageId;
  };
  /**
   * Router A has shared a change of this kind naming this key, and router B has applied it: stored it, and its
   * revocation has waited out every request B's workers had checked before it. From then on, a delivery of the
   * person leaving B is a leak.
   */
  const appliedByB = (kind: string, key: string) => async () => {
    const { rows } = await db.query<{ id: number | null }>(
      `SELECT max(id)::int AS id FROM "${schema}".privacy_changes WHERE change->>'kind' = $1 AND change->'keys' ? $2`,
      [kind, key],
    );
    const id = rows[0]?.id;
    return typeof id === 'number' && b.router.privacy.sharedStateCursor(schema).read() >= id;
  };
  /**
   * Opens the sink by a request of the test's own, sent once B has applied the change: a request B's worker sent
   * before its revocation finished was written to the sink's socket before this one, and is answered 503.
   */
  const openSink = async () => {
    expect((await fetch(`${sink.url}/open`)).status).toBe(200);
  };
  const consent = (marketing: boolean) => ({ context: { consent: { categoryPreferences: { Marketing: marketing } } } });
  const ids = (request: CapturedRequest) => eventsOf(request).map((e) => e.messageId);
  const at = (prefix: string, messageIds: string[]) => sink.requests.filter((r) => r.path.startsWith(prefix) && ids(r).some((id) => messageIds.includes(id)));
  const attempted = (prefix: string, messageIds: string[]) => until(() => messageIds.every((id) => at(prefix, [id]).length > 0), `attempts at ${prefix}`);
  const delivered = (prefix: string, messageIds: string[]) =>
    at(prefix, messageIds)
      .filter((r) => r.receivedAt >= openedAt)
      .flatMap(ids)
      .filter((id) => messageIds.includes(id));

  // Each round starts with the sink refusing again.
  beforeEach(() => {
    openedAt = Infinity;
  });

  it.each(Array.from({ length: ROUNDS }, (_, round) => round))(
    'a suppression sent to router A stops router B delivering the person (round %i)',
    async (round) => {
      const gone = `u-gone-${round}`;
      const queuedAtB = [await track(b, { userId: gone, anonymousId: `anon-${gone}` }), await track(b, { anonymousId: `anon-${gone}` })];
      const kept = await track(b, { userId: `u-kept-${round}` });
      await attempted('/b/crm', [...queuedAtB, kept]);

      expect((await admin(a, 'POST', '/admin/v1/suppressions', { identity_type: 'user_id', identity_value: gone })).status).toBe(201);
      await until(appliedByB('suppressed', `user_id:${gone}`), 'router B to apply the suppression', APPLIED_WITHIN_MS);
      const atB = (await admin(b, 'GET', '/admin/v1/suppressions?limit=1000')).json.suppressions;
      expect(atB.map((s: { identity_value: string }) => s.identity_value)).toContain(gone);
      await openSink();
      // Sent to B after the acknowledgement at A, under an identifier the suppression reached through the graph.
      const late = b.send('/v1/track', { messageId: randomUUID(), anonymousId: `anon-${gone}`, event: 'Late' }, { auth: 'wk_web:' });
      expect((await late).json).toMatchObject({ success: true });

      await until(() => delivered('/b/crm', [kept]).length > 0, 'the other person to be delivered');
      await b.drained();
      expect(delivered('/b', queuedAtB)).toEqual([]);
      expect(
        sink.requests
          .filter((r) => r.path.startsWith('/b') && r.receivedAt >= openedAt)
          .flatMap(eventsOf)
          .filter((e) => e.userId === gone || e.identities?.anonymous_id === `anon-${gone}`),
      ).toEqual([]);
    },
  );

  it.each(Array.from({ length: ROUNDS }, (_, round) => round))(
    'a consent withdrawal sent to router A stops router B delivering to the connection that needs it (round %i)',
    async (round) => {
      const user = `u-consent-${round}`;
      // Given at B; shared, so A knows it too.
      const given = await track(b, { userId: user, ...consent(true) });
      const queuedAtB = [given, await track(b, { userId: user })];
      await attempted('/b/newsletter', queuedAtB);

      await track(a, { userId: user, event: 'Unsubscribed', ...consent(false) });
      await until(appliedByB('consent', `user_id:${user}`), 'router B to apply the withdrawal', APPLIED_WITHIN_MS);
      const [atB] = (await admin(b, 'GET', `/admin/v1/profiles?identity_type=user_id&identity_value=${user}`)).json.profiles;
      expect(atB.consent.purposes.marketing).toMatchObject({ consented: false });
      await openSink();
      await until(() => queuedAtB.every((id) => delivered('/b/crm', [id]).length > 0), 'the deliveries consent still allows');
      await b.drained();
      expect(delivered('/b/newsletter', queuedAtB)).toEqual([]);
    },
  );

  it.each(Array.from({ length: ROUNDS }, (_, round) => round))('an erasure sent to router A stops router B delivering the person (round %i)', async (round) => {
    const user = `u-erased-${round}`;
    // Consent gives router B a record of the person to erase.
    const queuedAtB = [await track(b, { userId: user, anonymousId: `anon-${user}`, ...consent(true) }), await track(b, { anonymousId: `anon-${user}` })];
    const kept = await track(b, { userId: `u-stays-${round}` });
    await attempted('/b/crm', [...queuedAtB, kept]);
    expect(b.router.privacy.profiles.get(`user_id:${user}`)).toBeDefined();

    const id = randomUUID();
    const request = {
      regulation: 'gdpr',
      subject_request_id: id,
      subject_request_type: 'erasure',
      submitted_time: new Date().toISOString(),
      subject_identities: [{ identity_type: 'user_id', identity_value: user, identity_format: 'raw' }],
      api_version: '1.0',
      // Erasure alone, without the suppression that usually comes with it.
      extensions: { [DOMAIN]: { suppress: false } },
    };
    expect((await admin(a, 'POST', '/opendsr/v1/requests', request)).status).toBe(201);
    // The erasure waits for deliveries in flight at A only; B's connections never get the deletion while refused.
    await until(appliedByB('erased', `user_id:${user}`), 'router B to apply the erasure', APPLIED_WITHIN_MS);
    expect(b.router.privacy.profiles.get(`user_id:${user}`)).toBeUndefined();
    expect(b.router.privacy.profiles.get(`anonymous_id:anon-${user}`)).toBeUndefined();
    await openSink();
    await until(() => delivered('/b/crm', [kept]).length > 0, 'the other person to be delivered');
    await b.drained();
    expect(delivered('/b', queuedAtB)).toEqual([]);
  });

  it('resolves events from both routers to one person in the shared identity graph', async () => {
    openedAt = Date.now();
    await track(a, { userId: 'u-both', anonymousId: 'anon-on-a' });
    await track(b, { userId: 'u-both', anonymousId: 'anon-on-b', context: { traits: { email: 'both@example.com' } } });
    for (const router of [a, b]) {
      const { profiles } = (await admin(router, 'GET', '/admin/v1/profiles?identity_type=anonymous_id&identity_value=anon-on-a')).json;
      expect(profiles).toHaveLength(1);
      expect(profiles[0].identifiers.map((i: { value: string }) => i.value)).toEqual(expect.arrayContaining(['u-both', 'anon-on-a', 'anon-on-b']));
    }
    const [onA] = (await admin(a, 'GET', '/admin/v1/profiles?identity_type=anonymous_id&identity_value=anon-on-b')).json.profiles;
    const [onB] = (await admin(b, 'GET', '/admin/v1/profiles?identity_type=anonymous_id&identity_value=anon-on-a')).json.profiles;
    expect(onA.profile_id).toBe(onB.profile_id);
    await a.drained();
    await b.drained();
  });

  it('resolves a new person sent to both routers at once to one profile, round after round', async () => {
    openedAt = Date.now();
    for (let round = 0; round < 5; round += 1) {
      const user = `u-race-${round}`;
      await Promise.all([track(a, { userId: user, anonymousId: `anon-a-${user}` }), track(b, { userId: user, anonymousId: `anon-b-${user}` })]);
      const { profiles } = (await admin(a, 'GET', `/admin/v1/profiles?identity_type=user_id&identity_value=${user}`)).json;
      expect(profiles).toHaveLength(1);
      expect(profiles[0].identifiers.map((i: { value: string }) => i.value).sort()).toEqual([`anon-a-${user}`, `anon-b-${user}`, user].sort());
    }
    await a.drained();
    await b.drained();
  });

  it('counts the events of one person sent to either router toward one audience membership', async () => {
    openedAt = Date.now();
    await track(a, { userId: 'u-buyer', event: 'Order Completed' });
    await track(b, { userId: 'u-buyer', event: 'Order Completed' });
    const [profile] = (await admin(a, 'GET', '/admin/v1/profiles?identity_type=user_id&identity_value=u-buyer')).json.profiles;
    for (const router of [a, b]) {
      await until(
        async () =>
          (await admin(router, 'GET', '/admin/v1/audiences/repeat-buyers/members')).json.members.some(
            (m: { profile_id: string }) => m.profile_id === profile.profile_id,
          ),
        'the membership, seen from both routers',
      );
    }
    await a.drained();
    await b.drained();
  });

  it("adds up both routers' privacy decisions", async () => {
    // Only router B delivered (and so dropped) the suppressed people's queued events, in the rounds above.
    const droppedAtB = async () => (await admin(b, 'GET', '/admin/v1/privacy/decisions?connection=crm')).json.decisions;
    await until(async () => (await droppedAtB()).some((d: { decision: string }) => d.decision === 'suppressed'), 'B to count its drops');
    const [countedAtB] = (await droppedAtB()).filter((d: { decision: string }) => d.decision === 'suppressed');
    const seenFromA = (await admin(a, 'GET', '/admin/v1/privacy/decisions?connection=crm')).json.decisions;
    expect(seenFromA).toContainEqual(countedAtB);
  });

  it('shows attributes set through either router, from events and from rectification, on both', async () => {
    openedAt = Date.now();
    const identify = await b.send('/v1/identify', { messageId: randomUUID(), userId: 'u-traits', traits: { plan: 'pro', seats: 3 } }, { auth: 'wk_web:' });
    expect(identify.status).toBe(200);
    const rectified = await admin(a, 'POST', '/admin/v1/rectifications', { identity_type: 'user_id', identity_value: 'u-traits', attributes: { seats: 5 } });
    expect(rectified.status).toBe(202);
    for (const router of [a, b]) {
      let seen: unknown;
      await until(
        async () => {
          seen = (await admin(router, 'GET', '/profiles/v1/user_id:u-traits/traits')).json.traits;
          return isDeepStrictEqual(seen, { plan: 'pro', seats: 5 });
        },
        'the attributes on both routers',
        APPLIED_WITHIN_MS,
      ).catch((error: Error) => {
        throw new Error(`${error.message}; router ${router === a ? 'A' : 'B'} shows ${JSON.stringify(seen)}`);
      });
    }
    await a.drained();
    await b.drained();
  });
});
