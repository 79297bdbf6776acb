import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { eventsOf, holdLookups, releaseAll, until } from '../helpers/deliveries.js';
import { HttpSink } from '../helpers/http-sink.js';
import { RouterFixture } from '../helpers/router.js';
import { FIXTURES } from '../helpers/runtime.js';

const ADMIN = 'admin-token-every-path-0001';
const PURPOSES = [
  { id: 'marketing', segmentCategories: ['Marketing'] },
  { id: 'advertising', segmentCategories: ['Advertising'] },
];

/**
 * "No event leaves after the right to send it is gone", tried on every path that queues a delivery and at the
 * last moment bytes leave, with every outbound request recorded at loopback sinks.
 */
describe('privacy closes every path', () => {
  let sink: HttpSink;
  let fixture: RouterFixture | undefined;

  beforeEach(async () => {
    sink = await new HttpSink().start();
  });
  afterEach(async () => {
    await fixture?.close();
    fixture = undefined;
    await sink.stop();
  });

  const admin = (method: string, path: string, body?: unknown) => fixture!.send(path, body, { method, headers: { authorization: `Bearer ${ADMIN}` } });
  const track = (userId: string, extra: Record<string, unknown> = {}) => {
    const messageId = randomUUID();
    return fixture!.send('/v1/track', { userId, event: 'Viewed', messageId, ...extra }, { auth: 'wk_web:' }).then((r) => {
      expect(r.status).toBe(200);
      return messageId;
    });
  };
  const consent = (categories: Record<string, boolean>) => ({ context: { consent: { categoryPreferences: categories } } });
  /** Resolves with the index in `sink.requests` from which requests reached the sink after the acknowledgement. */
  const suppress = async (identity_type: string, identity_value: string) => {
    const response = await admin('POST', '/admin/v1/suppressions', { identity_type, identity_value });
    expect(response.status).toBe(201);
    return sink.arrivalMark();
  };
  const connections = async () => (await admin('GET', '/admin/v1/connections')).json.connections;
  const bodies = (path: string) => sink.requests.filter((r) => r.path.startsWith(path)).flatMap(eventsOf);

  it("sends a rectification only where the user's consent allows, and nowhere for a suppressed user", async () => {
    fixture = await new RouterFixture({
      admin: { tokens: [ADMIN] },
      privacy: { purposes: PURPOSES },
      sources: [
        { id: 'web', type: 'segment', writeKey: 'wk_web' },
        { id: 'app', type: 'mparticle', apiKey: 'mp_key', apiSecret: 'mp_secret' },
      ],
      connections: [
        { id: 'newsletter', connector: 'webhook', consent: { purposes: ['marketing'] }, settings: { url: `${sink.url}/newsletter` } },
        { id: 'retargeting', connector: 'webhook', consent: { blockWhenDenied: ['advertising'] }, settings: { url: `${sink.url}/retargeting` } },
        { id: 'data-broker', connector: 'webhook', consent: { saleOrShare: true }, settings: { url: `${sink.url}/broker` } },
        { id: 'crm', connector: 'webhook', settings: { url: `${sink.url}/crm` } },
      ],
    }).start();
    await track('u-no-marketing', consent({ Marketing: false }));
    await track('u-no-ads', consent({ Marketing: true, Advertising: false }));
    // CCPA arrives from mParticle: marketing consented, sale opted out.
    const optOut = await fixture.send(
      '/v2/events',
      {
        user_identities: { customerid: 'u-opted-out' },
        consent_state: { gdpr: { marketing: { consented: true } }, ccpa: { data_sale_opt_out: { consented: true } } },
        events: [{ event_type: 'custom_event', data: { event_name: 'Viewed', custom_event_type: 'other' } }],
      },
      { auth: 'mp_key:mp_secret' },
    );
    expect(optOut.status).toBe(202);
    await suppress('user_id', 'u-suppressed');
    await fixture.drained();
    sink.requests.length = 0;

    const sentTo: Record<string, string[]> = {};
    for (const user of ['u-no-marketing', 'u-no-ads', 'u-opted-out', 'u-suppressed', 'u-everything-ok']) {
      const identity_type = user === 'u-opted-out' ? 'customer_id' : 'user_id';
      const response = await admin('POST', '/admin/v1/rectifications', { identity_type, identity_value: user, attributes: { last_name: 'Lovelace' } });
      expect(response.status).toBe(202);
      sentTo[user] = response.json.rectification.sent_to;
    }
    await fixture.drained();

    expect(sentTo).toEqual({
      'u-no-marketing': ['retargeting', 'data-broker', 'crm'],
      'u-no-ads': ['newsletter', 'data-broker', 'crm'],
      'u-opted-out': ['newsletter', 'retargeting', 'crm'],
      'u-suppressed': [],
      // No recorded marketing consent: GDPR is opt-in, so the newsletter does not get it either.
      'u-everything-ok': ['retargeting', 'data-broker', 'crm'],
    });
    const received = (path: string) =>
      bodies(path)
        .map((e) => e.userId ?? e.identities?.customer_id)
        .sort();
    expect(received('/newsletter')).toEqual(['u-no-ads', 'u-opted-out']);
    expect(received('/retargeting')).toEqual(['u-everything-ok', 'u-no-marketing', 'u-opted-out']);
    expect(received('/broker')).toEqual(['u-everything-ok', 'u-no-ads', 'u-no-marketing']);
    expect(received('/crm')).toEqual(['u-everything-ok', 'u-no-ads', 'u-no-marketing', 'u-opted-out']);
  });

  it("never queues a quarantine copy of a suppressed user's blocked event", async () => {
    fixture = await new RouterFixture({
      admin: { tokens: [ADMIN] },
      sources: [{ id: 'web', type: 'segment', writeKey: 'wk_web', dataPlan: 'plan' }],
      dataPlans: [
        {
          id: 'plan',
          version: 1,
          quarantine: 'quarantine',
          block: { unplannedEvents: true },
          document: { data_points: [{ match: { type: 'custom_event', criteria: { event_name: 'Order Completed', custom_event_type: 'transaction' } } }] },
        },
      ],
      connections: [
        { id: 'quarantine', connector: 'webhook', settings: { url: `${sink.url}/quarantine` } },
        { id: 'main', connector: 'webhook', settings: { url: `${sink.url}/main` } },
      ],
    }).start();
    await suppress('user_id', 'u-suppressed');
    const blockedOfSuppressed = await track('u-suppressed');
    const blockedOfOther = await track('u-other');
    await sink.waitFor(() => bodies('/quarantine').some((e) => e.messageId === blockedOfOther), 10_000, "the other user's quarantine copy");
    await fixture.drained();
    expect(bodies('/quarantine').map((e) => e.messageId)).toEqual([blockedOfOther]);
    expect(sink.requests.flatMap(eventsOf).map((e) => e.messageId)).not.toContain(blockedOfSuppressed);
  });

  it("replays a quarantine connection's dead letters and checks them like any other delivery", async () => {
    let accepting = false;
    sink.responder = () => (accepting ? { status: 200 } : { status: 400, body: { error: 'bad request' } });
    fixture = await new RouterFixture({
      admin: { tokens: [ADMIN] },
      sources: [{ id: 'web', type: 'segment', writeKey: 'wk_web', dataPlan: 'plan' }],
      dataPlans: [
        {
          id: 'plan',
          version: 1,
          quarantine: 'quarantine',
          block: { unplannedEvents: true },
          document: { data_points: [{ match: { type: 'custom_event', criteria: { event_name: 'Order Completed', custom_event_type: 'transaction' } } }] },
        },
      ],
      connections: [{ id: 'quarantine', connector: 'webhook', settings: { url: `${sink.url}/quarantine` } }],
    }).start();
    const blocked = await track('u-kept');
    await fixture.drained();
    expect((await admin('GET', '/admin/v1/dead-letters')).json.deadLetters).toHaveLength(1);
    await suppress('user_id', 'u-someone-else');
    accepting = true;
    const replay = await admin('POST', '/admin/v1/dead-letters/replay', { connection: 'quarantine' });
    expect(replay.json).toEqual({ replayed: 1, dropped: 0, skipped: 0 });
    await sink.waitFor(() => sink.requests.filter((r) => r.path.startsWith('/quarantine')).length === 2, 10_000, 'the replayed quarantine copy');
    await fixture.drained();
    expect(bodies('/quarantine').map((e) => e.messageId)).toEqual([blocked, blocked]);
  });

  it('replays dead letters only for users who may still be sent to the connection', async () => {
    let accepting = false;
    sink.responder = () => (accepting ? { status: 200 } : { status: 400, body: { error: 'bad request' } });
    fixture = await new RouterFixture({
      admin: { tokens: [ADMIN] },
      privacy: { purposes: PURPOSES },
      sources: [{ id: 'web', type: 'segment', writeKey: 'wk_web' }],
      connections: [{ id: 'newsletter', connector: 'webhook', consent: { purposes: ['marketing'] }, settings: { url: `${sink.url}/newsletter` } }],
    }).start();
    const later = {
      suppressed: await track('u-suppressed', consent({ Marketing: true })),
      withdrawn: await track('u-withdrawn', consent({ Marketing: true })),
      kept: await track('u-kept', consent({ Marketing: true })),
    };
    await fixture.drained();
    expect((await admin('GET', '/admin/v1/dead-letters')).json.deadLetters).toHaveLength(3);

    await suppress('user_id', 'u-suppressed');
    await track('u-withdrawn', consent({ Marketing: false })); // withdrawal; this event itself is not for the newsletter
    accepting = true;
    const firstAfter = sink.requests.length;
    const replay = await admin('POST', '/admin/v1/dead-letters/replay', { connection: 'newsletter' });
    expect(replay.json).toEqual({ replayed: 1, dropped: 2, skipped: 0 });
    await fixture.drained();

    expect(
      sink.requests
        .slice(firstAfter)
        .flatMap(eventsOf)
        .map((e) => e.messageId),
    ).toEqual([later.kept]);
    expect((await admin('GET', '/admin/v1/dead-letters')).json.deadLetters).toEqual([]);
  });

  it('re-checks an event admitted just before a suppression even when the queue stamps it just after (repeated rounds)', async () => {
    fixture = await new RouterFixture({
      admin: { tokens: [ADMIN] },
      sources: [{ id: 'web', type: 'segment', writeKey: 'wk_web' }],
      connections: [{ id: 'hook', connector: 'webhook', settings: { url: `${sink.url}/hook` } }],
    }).start();
    const leaks: string[] = [];
    for (let round = 0; round < 8; round += 1) {
      const user = `u-race-${round}`;
      const sent = Array.from({ length: 20 }, () => track(user));
      const acknowledged = suppress('user_id', user);
      await Promise.all(sent);
      const sentAfterAck = await acknowledged;
      await fixture.drained();
      leaks.push(
        ...sink.requests
          .slice(sentAfterAck)
          .flatMap(eventsOf)
          .filter((e) => e.userId === user)
          .map((e) => e.messageId),
      );
    }
    expect(leaks).toEqual([]);
  });

  it('checks again inside the worker: tasks that waited for a cold worker do not send a user suppressed meanwhile (repeated rounds)', async () => {
    for (let round = 0; round < 3; round += 1) {
      let ready = false;
      sink.responder = (r) => (r.path === '/ready' ? { status: ready ? 200 : 503 } : { status: 200 });
      fixture = await new RouterFixture({
        admin: { tokens: [ADMIN] },
        sources: [{ id: 'web', type: 'segment', writeKey: 'wk_web' }],
        connections: [
          {
            id: 'cold',
            connector: join(FIXTURES, 'slow-start'),
            settings: { url: `${sink.url}/cold`, readyUrl: `${sink.url}/ready` },
            delivery: { batch: { maxItems: 5 } },
          },
        ],
      }).start();
      const batch = [
        ...Array.from({ length: 20 }, () => ({ type: 'track', userId: 'u-gone', event: 'Viewed', messageId: randomUUID() })),
        ...Array.from({ length: 5 }, () => ({ type: 'track', userId: 'u-kept', event: 'Viewed', messageId: randomUUID() })),
      ];
      expect((await fixture.send('/v1/batch', { batch }, { auth: 'wk_web:' })).status).toBe(200);
      const gone = batch.slice(0, 20).map((e) => e.messageId);
      const kept = batch.slice(20).map((e) => e.messageId);
      // As many tasks as the dispatcher hands the pool (twice its two threads) were gated and handed over; the
      // worker is still loading. The rest wait in the dispatcher and are gated when they start.
      await until(async () => (await connections()).cold.tasks >= 4, 'the tasks to reach the pool');
      await suppress('user_id', 'u-gone');
      ready = true;
      await fixture.drained();
      const delivered = bodies('/cold').map((e) => e.messageId);
      expect(delivered.filter((id) => gone.includes(id))).toEqual([]);
      expect(new Set(delivered)).toEqual(new Set(kept));
      await fixture.close();
      fixture = undefined;
      sink.requests.length = 0;
    }
  });

  it('checks again right before each request leaves: a connector between two requests sends nothing of a user suppressed meanwhile', async () => {
    const held = holdLookups(sink);
    fixture = await new RouterFixture({
      admin: { tokens: [ADMIN] },
      sources: [{ id: 'web', type: 'segment', writeKey: 'wk_web' }],
      connections: [{ id: 'two', connector: join(FIXTURES, 'two-step'), settings: { url: `${sink.url}/two` }, delivery: { batch: { maxItems: 1 } } }],
    }).start();
    const leaks: string[] = [];
    for (let round = 0; round < 5; round += 1) {
      const goneId = await track(`u-gone-${round}`);
      const keptId = await track(`u-kept-${round}`);
      await sink.waitFor(() => held.length === 2, 10_000, 'both lookups');
      const sentAfterAck = await suppress('user_id', `u-gone-${round}`);
      releaseAll(held);
      await fixture.drained();
      const sent = sink.requests.filter((r) => r.path === '/two/events');
      leaks.push(
        ...sink.requests
          .slice(sentAfterAck)
          .filter((r) => r.path === '/two/events')
          .flatMap(eventsOf)
          .filter((e) => e.messageId === goneId)
          .map((e) => e.messageId),
      );
      expect(sent.flatMap(eventsOf).map((e) => e.messageId)).toContain(keptId);
    }
    expect(leaks).toEqual([]);
  });

  it('stops a request still leaving when its user is suppressed: none of its body completes after the acknowledgement (repeated rounds)', async () => {
    fixture = await new RouterFixture({
      admin: { tokens: [ADMIN] },
      sources: [{ id: 'web', type: 'segment', writeKey: 'wk_web' }],
      connections: [
        {
          id: 'upload',
          connector: join(FIXTURES, 'slow-upload'),
          // Larger than what loopback sockets buffer, so the body cannot leave while the destination is not reading.
          settings: { url: sink.url, paddingBytes: 24 * 1024 * 1024 },
          delivery: { requestTimeoutMs: 60_000 },
        },
      ],
    }).start();
    const uploaded = () => sink.requests.map((r) => (r.body as { event?: { messageId?: string } }).event?.messageId);
    const leaks: string[] = [];
    for (let round = 0; round < 3; round += 1) {
      const stalled = sink.stall('/upload');
      const goneId = await track(`u-gone-${round}`);
      await sink.waitFor(() => stalled.waiting === 1, 15_000, 'the upload to start');
      const sentAfterAck = await suppress('user_id', `u-gone-${round}`);
      stalled.release();
      await fixture.drained();
      leaks.push(
        ...uploaded()
          .slice(sentAfterAck)
          .filter((id) => id === goneId),
      );
      // The destination takes uploads again: another user's event completes.
      const keptId = await track(`u-kept-${round}`);
      await sink.waitFor(() => uploaded().includes(keptId), 30_000, "the other user's upload");
    }
    expect(leaks).toEqual([]);
  });

  it('sends no enrichment lookup of a user suppressed while the lookup waited (repeated rounds)', async () => {
    const held: Array<() => void> = [];
    sink.responder = (r) => (r.path === '/enrich/ready' ? new Promise((resolve) => held.push(() => resolve({ status: 200 }))) : { status: 200, body: {} });
    fixture = await new RouterFixture({
      admin: { tokens: [ADMIN] },
      sources: [{ id: 'web', type: 'segment', writeKey: 'wk_web' }],
      connections: [{ id: 'lookup', connector: join(FIXTURES, 'two-step-enrichment'), settings: { url: sink.url }, enrichment: { timeoutMs: 15_000 } }],
    }).start();
    const lookedUp = (from: number) =>
      sink.requests
        .slice(from)
        .filter((r) => r.path === '/enrich/lookup')
        .map((r) => (r.body as { userId: string }).userId);
    const leaks: string[] = [];
    for (let round = 0; round < 3; round += 1) {
      // Admitted, then waiting for its lookup while the user is suppressed.
      const gone = track(`u-gone-${round}`);
      await sink.waitFor(() => held.length === 1, 15_000, 'the lookup to start');
      const sentAfterAck = await suppress('user_id', `u-gone-${round}`);
      releaseAll(held);
      await gone;
      // Another user's lookup, started after, is sent: the suppressed user's would have left before it.
      const kept = track(`u-kept-${round}`);
      await sink.waitFor(() => held.length === 1, 15_000, "the other user's lookup to start");
      releaseAll(held);
      await kept;
      expect(lookedUp(sentAfterAck)).toContain(`u-kept-${round}`);
      leaks.push(...lookedUp(sentAfterAck).filter((user) => user === `u-gone-${round}`));
    }
    expect(leaks).toEqual([]);
  });

  it('applies a consent withdrawal to an event a worker is about to send, once the withdrawing event is acknowledged', async () => {
    const held = holdLookups(sink);
    fixture = await new RouterFixture({
      admin: { tokens: [ADMIN] },
      privacy: { purposes: PURPOSES },
      sources: [{ id: 'web', type: 'segment', writeKey: 'wk_web' }],
      connections: [
        {
          id: 'two',
          connector: join(FIXTURES, 'two-step'),
          consent: { purposes: ['marketing'] },
          settings: { url: `${sink.url}/two` },
          delivery: { batch: { maxItems: 1 } },
        },
      ],
    }).start();
    for (let round = 0; round < 4; round += 1) {
      const user = `u-changes-mind-${round}`;
      const first = await track(user, consent({ Marketing: true }));
      await sink.waitFor(() => held.length === 1, 10_000, 'the lookup');
      await track(user, consent({ Marketing: false }));
      const sentAfterAck = await sink.arrivalMark();
      releaseAll(held);
      await fixture.drained();
      const sent = sink.requests
        .slice(sentAfterAck)
        .filter((r) => r.path === '/two/events')
        .flatMap(eventsOf);
      expect(sent.map((e) => e.messageId)).not.toContain(first);
    }
  });

  it("decides queued deliveries again when a reload changes a connection's consent rule", async () => {
    let up = false;
    sink.responder = () => (up ? { status: 200 } : { status: 503 });
    const config = (rule?: { purposes: string[] }) => ({
      admin: { tokens: [ADMIN] },
      privacy: { purposes: PURPOSES },
      sources: [{ id: 'web', type: 'segment', writeKey: 'wk_web' }],
      connections: [
        {
          id: 'newsletter',
          connector: 'webhook',
          settings: { url: `${sink.url}/newsletter` },
          ...(rule ? { consent: rule } : {}),
          delivery: { retry: { baseDelayMs: 50, maxDelayMs: 100, maxAttempts: 1000 }, breaker: { volumeThreshold: 1000 } },
        },
      ],
    });
    fixture = await new RouterFixture(config()).start();
    const unconsented = await track('u-never-asked');
    const consented = await track('u-agreed', consent({ Marketing: true }));
    await sink.waitFor(() => sink.messageIds().includes(unconsented), 10_000, 'a first failing attempt');
    fixture.writeConfig(config({ purposes: ['marketing'] }));
    expect((await fixture.router.reload()).ok).toBe(true);
    const firstAfter = sink.requests.length;
    up = true;
    await sink.waitFor(
      () =>
        sink.requests
          .slice(firstAfter)
          .flatMap(eventsOf)
          .some((e) => e.messageId === consented),
      10_000,
      "the consented user's event",
    );
    await fixture.drained();
    expect(
      sink.requests
        .slice(firstAfter)
        .flatMap(eventsOf)
        .map((e) => e.messageId),
    ).not.toContain(unconsented);
  });

  it('suppresses device advertising ids and phones under every spelling, on both sources and in OpenDSR', async () => {
    fixture = await new RouterFixture({
      admin: { tokens: [ADMIN] },
      dsr: { gracePeriodMs: 0 },
      sources: [
        { id: 'web', type: 'segment', writeKey: 'wk_web' },
        { id: 'app', type: 'mparticle', apiKey: 'mp_key', apiSecret: 'mp_secret' },
      ],
      connections: [{ id: 'hook', connector: 'webhook', settings: { url: `${sink.url}/hook` } }],
    }).start();
    // OpenDSR names the Fire advertising id its own way too; an erasure suppresses it under every spelling.
    const fireAdId = 'B5E2C6F0-1D4A-4C4E-9F00-0C0FFEE00001';
    const erasure = {
      regulation: 'gdpr',
      subject_request_id: randomUUID(),
      subject_request_type: 'erasure',
      submitted_time: new Date().toISOString(),
      subject_identities: [{ identity_type: 'fire_advertising_id', identity_value: fireAdId, identity_format: 'raw' }],
      api_version: '1.0',
    };
    expect((await admin('POST', '/opendsr/v1/requests', erasure)).status).toBe(201);
    await until(async () => (await admin('GET', `/opendsr/v1/requests/${erasure.subject_request_id}`)).json.request_status === 'completed', 'the erasure');
    const idfa = 'AEBE52E7-03EE-455A-B3C4-E57283966239';
    const aaid = '38400000-8cf0-11bd-b23e-10b96e40000d';
    const segmentAdId = '6d92078a-8246-4ba4-ae5b-76104861e7dc';
    for (const [type, value] of [
      ['ios_advertising_id', idfa.toLowerCase()],
      ['google_advertising_id', aaid],
      ['advertising_id', segmentAdId],
      ['phone', '+1 (650) 555-1234'],
    ] as const) {
      await suppress(type, value);
    }
    const mparticle = (identities: Record<string, unknown>, deviceInfo: Record<string, unknown>) => {
      const id = randomUUID();
      return fixture!
        .send(
          '/v2/events',
          {
            user_identities: identities,
            device_info: deviceInfo,
            events: [{ event_type: 'custom_event', data: { event_name: 'Opened', custom_event_type: 'other', source_message_id: id } }],
          },
          { auth: 'mp_key:mp_secret' },
        )
        .then((r) => {
          expect(r.status).toBe(202);
          return id;
        });
    };
    const blocked = [
      await mparticle({ customerid: 'c-1' }, { ios_advertising_id: idfa }),
      await mparticle({ customerid: 'c-2' }, { android_advertising_id: aaid }),
      await mparticle({ mobile_number: '16505551234' }, {}),
      await track('u-ios', { context: { device: { type: 'ios', advertisingId: segmentAdId } } }),
      await track('u-android', { context: { device: { type: 'android', advertisingId: aaid.toUpperCase() } } }),
      await track('u-phone', { context: { traits: { phone: '650-555-1234 ' } }, traits: { phone: '+16505551234' } }),
      await track('u-fire', { context: { device: { type: 'fireos', advertisingId: fireAdId.toLowerCase() } } }),
    ];
    const allowed = await mparticle({ customerid: 'c-3' }, { ios_advertising_id: '11111111-2222-3333-4444-555555555555' });
    await sink.waitFor(() => sink.messageIds().includes(allowed), 10_000, 'the allowed event');
    await fixture.drained();
    expect(sink.messageIds()).toEqual([allowed]);
    expect(bodies('/hook')[0]!.identities).toMatchObject({ customer_id: 'c-3', ios_idfa: '11111111-2222-3333-4444-555555555555' });
    expect(blocked).toHaveLength(7);
    const listed = (await admin('GET', '/admin/v1/suppressions')).json.suppressions.map((s: { identity_type: string }) => s.identity_type);
    expect(listed.sort()).toEqual(['advertising_id', 'android_aaid', 'fire_advertising_id', 'ios_idfa', 'phone']);
  });

  it('gets a half-open breaker going again when the gate drops its probe', async () => {
    let up = false;
    sink.responder = () => (up ? { status: 200 } : { status: 503 });
    fixture = await new RouterFixture({
      admin: { tokens: [ADMIN] },
      sources: [{ id: 'web', type: 'segment', writeKey: 'wk_web' }],
      connections: [
        {
          id: 'flaky',
          connector: 'webhook',
          settings: { url: `${sink.url}/flaky` },
          delivery: { retry: { baseDelayMs: 1, maxDelayMs: 1, maxAttempts: 1000 }, breaker: { volumeThreshold: 2, resetTimeoutMs: 300 } },
        },
      ],
    }).start();
    await track('u-probe');
    await until(async () => (await connections()).flaky.breaker === 'open', 'the breaker to open');
    await suppress('user_id', 'u-probe');
    const later = await Promise.all(Array.from({ length: 5 }, () => track('u-fine')));
    up = true;
    const firstAfterUp = sink.requests.length;
    await sink.waitFor(() => later.every((id) => sink.messageIds().includes(id)), 15_000, 'deliveries after the dropped probe');
    await fixture.drained();
    expect((await admin('GET', '/admin/v1/connections')).json.connections.flaky.breaker).toBe('closed');
    expect(
      sink.requests
        .slice(firstAfterUp)
        .flatMap(eventsOf)
        .filter((e) => e.userId === 'u-probe'),
    ).toEqual([]);
  });
});
