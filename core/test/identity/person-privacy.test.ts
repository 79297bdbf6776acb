import { randomUUID } from 'node:crypto';
import type { SwitchyardConfig } from '../../src/index.js';
import { eventsOf, holdLookups, releaseAll, until } from '../helpers/deliveries.js';
import { HttpSink } from '../helpers/http-sink.js';
import { RouterFixture } from '../helpers/router.js';
import { identityStores } from '../helpers/identity-stores.js';
import { FIXTURES } from '../helpers/runtime.js';
import { join } from 'node:path';

const ADMIN = 'admin-token-person-privacy-01';
const DOMAIN = 'switchyard.localhost';

/** Privacy acts on the person: whatever identifier consent, a suppression or an erasure names, it covers all of them. */
describe.each(identityStores())('privacy on the whole person ($name store)', (store) => {
  let sink: HttpSink;
  let fixture: RouterFixture | undefined;

  beforeEach(async () => {
    sink = await new HttpSink().start();
  });
  afterEach(async () => {
    await fixture?.close();
    fixture = undefined;
    await sink.stop();
    await store.cleanup();
  });

  const start = async (connections: SwitchyardConfig['connections']) => {
    fixture = await new RouterFixture({
      admin: { tokens: [ADMIN] },
      dsr: { gracePeriodMs: 0 },
      identity: store.config(),
      privacy: { purposes: [{ id: 'marketing', segmentCategories: ['Marketing'] }] },
      sources: [{ id: 'web', type: 'segment', writeKey: 'wk_web' }],
      connections,
    }).start();
  };
  const admin = (method: string, path: string, body?: unknown) => fixture!.send(path, body, { method, headers: { authorization: `Bearer ${ADMIN}` } });
  const segment = async (path: string, message: Record<string, unknown>) => {
    const messageId = randomUUID();
    expect((await fixture!.send(path, { messageId, ...message }, { auth: 'wk_web:' })).status).toBe(200);
    return messageId;
  };
  const received = (prefix: string, since = 0) =>
    new Set(
      sink.requests
        .slice(since)
        .filter((r) => r.path.startsWith(prefix))
        .flatMap(eventsOf)
        .map((e) => e.messageId),
    );
  const deliveredTo = (prefix: string, ids: string[]) => until(() => ids.every((id) => received(prefix).has(id)), `deliveries to ${prefix}`);
  const consent = (marketing: boolean) => ({ context: { consent: { categoryPreferences: { Marketing: marketing } } } });
  const erase = async (identities: Array<[string, string]>, suppress = true) => {
    const id = randomUUID();
    const request = {
      regulation: 'gdpr',
      subject_request_id: id,
      subject_request_type: 'erasure',
      submitted_time: new Date().toISOString(),
      subject_identities: identities.map(([identity_type, identity_value]) => ({ identity_type, identity_value, identity_format: 'raw' })),
      api_version: '1.0',
      ...(suppress ? {} : { extensions: { [DOMAIN]: { suppress: false } } }),
    };
    expect((await admin('POST', '/opendsr/v1/requests', request)).status).toBe(201);
    await until(async () => (await admin('GET', `/opendsr/v1/requests/${id}`)).json.request_status === 'completed', 'the erasure to complete');
  };

  it('consent withdrawn under an anonymous id applies to events sent under the user id', async () => {
    await start([
      { id: 'newsletter', connector: 'webhook', consent: { purposes: ['marketing'] }, settings: { url: `${sink.url}/newsletter` } },
      { id: 'crm', connector: 'webhook', settings: { url: `${sink.url}/crm` } },
    ]);
    const before = await segment('/v1/identify', { userId: 'u-ada', anonymousId: 'anon-ada', ...consent(true) });
    await deliveredTo('/newsletter', [before]);
    await segment('/v1/track', { anonymousId: 'anon-ada', event: 'Banner Closed', ...consent(false) });
    const later = await segment('/v1/track', { userId: 'u-ada', event: 'Viewed' });
    const control = await segment('/v1/track', { userId: 'u-bob', event: 'Viewed', ...consent(true) });
    await deliveredTo('/crm', [later, control]);
    await deliveredTo('/newsletter', [control]);
    expect(received('/newsletter').has(later)).toBe(false);
  });

  it('a suppression by email stops events sent under the anonymous id and the device id of that person', async () => {
    await start([{ id: 'crm', connector: 'webhook', settings: { url: `${sink.url}/crm` } }]);
    await deliveredTo('/crm', [
      await segment('/v1/identify', {
        userId: 'u-ada',
        anonymousId: 'anon-ada',
        traits: { email: 'ada@example.com' },
        context: { device: { id: 'ada-phone' } },
      }),
    ]);
    expect((await admin('POST', '/admin/v1/suppressions', { identity_type: 'email', identity_value: 'ADA@example.com' })).status).toBe(201);
    const blocked = [
      await segment('/v1/track', { anonymousId: 'anon-ada', event: 'Viewed' }),
      await segment('/v1/track', { userId: 'u-ada', event: 'Viewed' }),
      // A new anonymous id beside a known one of hers joins her, and is suppressed with her.
      await segment('/v1/track', { anonymousId: 'anon-ada-2', userId: 'u-ada', event: 'Viewed' }),
    ];
    const control = await segment('/v1/track', { userId: 'u-bob', event: 'Viewed' });
    await deliveredTo('/crm', [control]);
    const later = await segment('/v1/track', { anonymousId: 'anon-ada-2', event: 'Viewed' });
    const control2 = await segment('/v1/track', { userId: 'u-bob', event: 'Viewed' });
    await deliveredTo('/crm', [control2]);
    for (const id of [...blocked, later]) expect(received('/crm').has(id)).toBe(false);
    const decisions = (await admin('GET', '/admin/v1/privacy/decisions?source=web')).json.decisions as Array<{ decision: string; count: number }>;
    expect(decisions.find((d) => d.decision === 'suppressed')?.count).toBeGreaterThanOrEqual(4);
  });

  it('no event sent under a suppressed person’s anonymous id leaves after the suppression by email is acknowledged (repeated rounds)', async () => {
    await start([{ id: 'crm', connector: 'webhook', settings: { url: `${sink.url}/crm` } }]);
    const leaks: string[] = [];
    for (let round = 0; round < 8; round += 1) {
      const [anonymousId, email] = [`anon-race-${round}`, `race-${round}@example.com`];
      await deliveredTo('/crm', [await segment('/v1/identify', { userId: `u-race-${round}`, anonymousId, traits: { email } })]);
      const sent = Array.from({ length: 20 }, () => segment('/v1/track', { anonymousId, event: 'Viewed' }));
      const suppressed = admin('POST', '/admin/v1/suppressions', { identity_type: 'email', identity_value: email }).then((r) => {
        expect(r.status).toBe(201);
        return sink.arrivalMark();
      });
      const ids = await Promise.all(sent);
      const sentAfterAck = await suppressed;
      await fixture!.drained();
      const late = new Set(
        sink.requests
          .slice(sentAfterAck)
          .flatMap(eventsOf)
          .map((e) => e.messageId),
      );
      leaks.push(...ids.filter((id) => late.has(id)));
    }
    expect(leaks).toEqual([]);
  });

  it('a connector between two requests sends nothing of an anonymous id whose person is suppressed by email meanwhile (repeated rounds)', async () => {
    // The two-step connector looks something up, then sends: every look-up is held open until the suppression is in.
    const held = holdLookups(sink);
    await start([{ id: 'two', connector: join(FIXTURES, 'two-step'), settings: { url: `${sink.url}/two` }, delivery: { batch: { maxItems: 1 } } }]);
    const leaks: string[] = [];
    for (let round = 0; round < 4; round += 1) {
      const [anonymousId, email] = [`anon-held-${round}`, `held-${round}@example.com`];
      const login = await segment('/v1/identify', { userId: `u-held-${round}`, anonymousId, traits: { email } });
      await until(() => held.length === 1, 'the login look-up');
      releaseAll(held);
      await fixture!.drained();
      const gone = await segment('/v1/track', { anonymousId, event: 'Viewed' });
      const kept = await segment('/v1/track', { anonymousId: `anon-other-${round}`, event: 'Viewed' });
      await until(() => held.length === 2, 'both look-ups');
      expect((await admin('POST', '/admin/v1/suppressions', { identity_type: 'email', identity_value: email })).status).toBe(201);
      releaseAll(held);
      await fixture!.drained();
      const sent = received('/two/events');
      expect(sent.has(login) && sent.has(kept)).toBe(true);
      if (sent.has(gone)) leaks.push(gone);
    }
    expect(leaks).toEqual([]);
  });

  it('an anonymous visitor who turns out to be a suppressed person: their held events are not sent once the revealing event is acknowledged', async () => {
    const held = holdLookups(sink);
    await start([{ id: 'two', connector: join(FIXTURES, 'two-step'), settings: { url: `${sink.url}/two` }, delivery: { batch: { maxItems: 1 } } }]);
    const leaks: string[] = [];
    for (let round = 0; round < 4; round += 1) {
      const [userId, visitor] = [`u-known-${round}`, `anon-visitor-${round}`];
      expect((await admin('POST', '/admin/v1/suppressions', { identity_type: 'user_id', identity_value: userId })).status).toBe(201);
      const browsing = await segment('/v1/track', { anonymousId: visitor, event: 'Viewed' });
      await until(() => held.length === 1, 'the visitor’s look-up');
      // The visitor logs in: the anonymous profile is merged into the suppressed person.
      await segment('/v1/identify', { userId, anonymousId: visitor });
      releaseAll(held);
      await fixture!.drained();
      if (received('/two/events').has(browsing)) leaks.push(browsing);
    }
    expect(leaks).toEqual([]);
  });

  it('an erasure by email removes the events queued under that person’s anonymous id, and the person from the graph', async () => {
    sink.responder = () => ({ status: 503 });
    await start([{ id: 'crm', connector: 'webhook', settings: { url: `${sink.url}/crm` }, delivery: { retry: { maxAttempts: 1 } } }]);
    const anonymous = [
      await segment('/v1/track', { anonymousId: 'anon-eve', event: 'Viewed' }),
      await segment('/v1/page', { anonymousId: 'anon-eve', name: 'Pricing' }),
    ];
    const identify = await segment('/v1/identify', { userId: 'u-eve', anonymousId: 'anon-eve', traits: { email: 'eve@example.com' } });
    const bob = await segment('/v1/track', { userId: 'u-bob', event: 'Viewed' });
    const deadLetters = async () => ((await admin('GET', '/admin/v1/dead-letters')).json.deadLetters as Array<{ messageId: string }>).map((d) => d.messageId);
    await until(async () => {
      const ids = await deadLetters();
      return [...anonymous, identify, bob].every((id) => ids.includes(id));
    }, 'every event to be dead-lettered');

    const before = sink.requests.length;
    await erase([['email', 'eve@example.com']]);
    expect(await deadLetters()).toEqual([bob]);
    const profiles = await admin('GET', '/admin/v1/profiles?identity_type=anonymous_id&identity_value=anon-eve');
    expect(profiles.json.profiles).toEqual([]);
    // A replay cannot bring the erased events back to a connection.
    sink.responder = () => ({ status: 200 });
    const replay = await admin('POST', '/admin/v1/dead-letters/replay', { connection: 'crm' });
    expect(replay.json).toMatchObject({ replayed: 1 });
    await deliveredTo('/crm', [bob]);
    for (const id of [...anonymous, identify]) expect(received('/crm', before).has(id)).toBe(false);
  });

  it('after an erasure without suppression, replayed old events cannot re-create the erased links', async () => {
    await start([{ id: 'crm', connector: 'webhook', settings: { url: `${sink.url}/crm` } }]);
    const old = { userId: 'u-zed', anonymousId: 'anon-zed', traits: { email: 'zed@example.com' } };
    await deliveredTo('/crm', [await segment('/v1/identify', old)]);
    expect((await admin('GET', '/admin/v1/profiles?identity_type=anonymous_id&identity_value=anon-zed')).json.profiles).toHaveLength(1);
    await erase([['email', 'zed@example.com']], false);
    expect((await admin('GET', '/admin/v1/profiles?identity_type=anonymous_id&identity_value=anon-zed')).json.profiles).toEqual([]);
    await deliveredTo('/crm', [await segment('/v1/identify', old)]);
    for (const [type, value] of [
      ['email', 'zed@example.com'],
      ['user_id', 'u-zed'],
      ['anonymous_id', 'anon-zed'],
    ]) {
      expect((await admin('GET', `/admin/v1/profiles?identity_type=${type}&identity_value=${value}`)).json.profiles).toEqual([]);
    }
  });
});
