import { randomUUID } from 'node:crypto';
import type { SwitchyardConfig } from '../../src/index.js';
import { eventsOf, until } from '../helpers/deliveries.js';
import { HttpSink } from '../helpers/http-sink.js';
import { RouterFixture } from '../helpers/router.js';
import { identityStores } from '../helpers/identity-stores.js';

const ADMIN = 'admin-token-identity-0001';

describe.each(identityStores())('identity resolution through the public APIs ($name store)', (store) => {
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

  const start = async (extra: Partial<SwitchyardConfig> = {}) => {
    const { identity, ...rest } = extra;
    fixture = await new RouterFixture({
      admin: { tokens: [ADMIN] },
      dsr: { gracePeriodMs: 0 },
      identity: { ...store.config(), ...identity },
      sources: [
        { id: 'web', type: 'segment', writeKey: 'wk_web' },
        { id: 'app', type: 'mparticle', apiKey: 'mp_key', apiSecret: 'mp_secret' },
      ],
      connections: [{ id: 'crm', connector: 'webhook', settings: { url: `${sink.url}/crm` } }],
      ...rest,
    } as SwitchyardConfig).start();
    return fixture;
  };
  const admin = (method: string, path: string, body?: unknown) => fixture!.send(path, body, { method, headers: { authorization: `Bearer ${ADMIN}` } });
  const segment = async (path: string, message: Record<string, unknown>) => {
    const messageId = randomUUID();
    const response = await fixture!.send(path, { messageId, ...message }, { auth: 'wk_web:' });
    expect(response.status).toBe(200);
    return messageId;
  };
  const profilesBy = async (type: string, value: string) => {
    const response = await admin('GET', `/admin/v1/profiles?identity_type=${type}&identity_value=${encodeURIComponent(value)}`);
    expect(response.status).toBe(200);
    return response.json.profiles as Array<{ profile_id: string; identifiers: Array<{ type: string; value: string }>; traits: Record<string, unknown> }>;
  };
  const delivered = async (messageIds: string[]) => {
    await until(() => messageIds.every((id) => sink.requests.flatMap(eventsOf).some((e) => e.messageId === id)), `${messageIds.length} deliveries`);
    return messageIds.map((id) => sink.requests.flatMap(eventsOf).find((e) => e.messageId === id)!);
  };

  it('anonymous browsing, then a login, then a second device are one profile, which every connection sees', async () => {
    await start();
    const browsing = [
      await segment('/v1/page', { anonymousId: 'anon-1', name: 'Home' }),
      await segment('/v1/track', { anonymousId: 'anon-1', event: 'Viewed' }),
    ];
    const login = await segment('/v1/identify', { anonymousId: 'anon-1', userId: 'u-ada', traits: { email: ' Ada@Example.com ', plan: 'pro' } });
    const app = await segment('/v1/track', { userId: 'u-ada', anonymousId: 'anon-2', event: 'Opened', context: { device: { id: 'device-phone' } } });

    const events = await delivered([...browsing, login, app]);
    const profileId = events[0]!.profileId!;
    expect(profileId).toMatch(/^-?\d+$/);
    expect(events.map((e) => e.profileId)).toEqual([profileId, profileId, profileId, profileId]);

    const [profile, ...others] = await profilesBy('email', 'ada@example.com');
    expect(others).toEqual([]);
    expect(profile!.profile_id).toBe(profileId);
    expect(profile!.identifiers.map((i) => `${i.type}:${i.value}`).sort()).toEqual(
      ['anonymous_id:anon-1', 'anonymous_id:anon-2', 'device_id:device-phone', 'email:ada@example.com', 'user_id:u-ada'].sort(),
    );
    expect(profile!.traits).toMatchObject({ plan: 'pro' });
    // The same person by every identifier.
    expect((await profilesBy('device_id', 'device-phone')).map((p) => p.profile_id)).toEqual([profileId]);
    expect((await profilesBy('anonymous_id', 'anon-1')).map((p) => p.profile_id)).toEqual([profileId]);
  });

  it('two people logging in on one shared device stay two profiles, and the device alone joins neither', async () => {
    await start();
    const [ada, bob] = await delivered([
      await segment('/v1/identify', { userId: 'u-ada', anonymousId: 'anon-a', context: { device: { id: 'kiosk' } } }),
      await segment('/v1/identify', { userId: 'u-bob', anonymousId: 'anon-b', context: { device: { id: 'kiosk' } } }),
    ]);
    expect(ada!.profileId).not.toBe(bob!.profileId);
    const [logout] = await delivered([await segment('/v1/track', { anonymousId: 'anon-c', event: 'Viewed', context: { device: { id: 'kiosk' } } })]);
    expect([ada!.profileId, bob!.profileId]).not.toContain(logout!.profileId);
    expect((await profilesBy('device_id', 'kiosk')).map((p) => p.profile_id).sort()).toEqual([ada!.profileId, bob!.profileId, logout!.profileId].sort());
    // Ada again, on that device: hers.
    const [again] = await delivered([await segment('/v1/track', { userId: 'u-ada', event: 'Viewed', context: { device: { id: 'kiosk' } } })]);
    expect(again!.profileId).toBe(ada!.profileId);
  });

  it('junk values join nothing: two people sending anonymousId "0" or email "null" stay apart', async () => {
    await start();
    const events = await delivered([
      await segment('/v1/identify', { userId: 'u-one', anonymousId: '0', traits: { email: 'null' } }),
      await segment('/v1/identify', { userId: 'u-two', anonymousId: '0', traits: { email: 'null' } }),
      await segment('/v1/track', {
        anonymousId: '00000000-0000-0000-0000-000000000000',
        event: 'Viewed',
        context: { device: { advertisingId: '00000000-0000-0000-0000-000000000000' } },
      }),
    ]);
    expect(events[0]!.profileId).not.toBe(events[1]!.profileId);
    expect(await profilesBy('anonymous_id', '0')).toEqual([]);
    expect(events[2]!.profileId).toBeUndefined();
    const [one] = await profilesBy('user_id', 'u-one');
    expect(one!.identifiers).toEqual([expect.objectContaining({ type: 'user_id', value: 'u-one' })]);
  });

  it('a per-type limit keeps the identifier that would break it out, and the event resolves to the known profile', async () => {
    await start({ identity: { limits: { anonymous_id: { max: 2 } } } });
    const events = await delivered([
      await segment('/v1/identify', { userId: 'u-ada', anonymousId: 'a-1' }),
      await segment('/v1/identify', { userId: 'u-ada', anonymousId: 'a-2' }),
      await segment('/v1/identify', { userId: 'u-ada', anonymousId: 'a-3' }),
    ]);
    expect(new Set(events.map((e) => e.profileId)).size).toBe(1);
    const [profile] = await profilesBy('user_id', 'u-ada');
    expect(profile!.identifiers.filter((i) => i.type === 'anonymous_id').map((i) => i.value)).toEqual(['a-1', 'a-2']);
    const [alone] = await delivered([await segment('/v1/track', { anonymousId: 'a-3', event: 'Viewed' })]);
    expect(alone!.profileId).not.toBe(events[0]!.profileId);
  });

  it('a unique type is never doubled: an email of one user sent with another user id is left out', async () => {
    await start();
    const [ada] = await delivered([await segment('/v1/identify', { userId: 'u-ada', traits: { email: 'shared@example.com' } })]);
    const [eve] = await delivered([await segment('/v1/identify', { userId: 'u-eve', traits: { email: 'shared@example.com' } })]);
    expect(eve!.profileId).not.toBe(ada!.profileId);
    expect((await profilesBy('email', 'shared@example.com')).map((p) => p.profile_id)).toEqual([ada!.profileId]);
  });

  it('alias joins the previous anonymous id to the user, and the merge log explains it', async () => {
    await start();
    const [anonymous] = await delivered([await segment('/v1/track', { anonymousId: 'anon-9', event: 'Viewed' })]);
    const [known] = await delivered([await segment('/v1/identify', { userId: 'u-nine', anonymousId: 'anon-other' })]);
    expect(anonymous!.profileId).not.toBe(known!.profileId);
    const [aliased] = await delivered([await segment('/v1/alias', { previousId: 'anon-9', userId: 'u-nine' })]);
    expect(aliased!.profileId).toBe(known!.profileId);
    expect((await profilesBy('anonymous_id', 'anon-9')).map((p) => p.profile_id)).toEqual([known!.profileId]);
    const log = (await admin('GET', `/admin/v1/profiles/${known!.profileId}/log`)).json.log as Array<Record<string, unknown>>;
    const merge = log.find((e) => e.kind === 'merge');
    expect(merge).toMatchObject({
      profile_id: known!.profileId,
      other_profile_id: anonymous!.profileId,
      rule: 'alias:previous',
      cause: `event:${aliased!.messageId}`,
    });

    // Split again: the anonymous profile comes back with its identifier and is not re-merged by the next alias-free event.
    const split = await admin('POST', `/admin/v1/profiles/${known!.profileId}/split`, { log_entry: merge!.id });
    expect(split.status).toBe(200);
    expect(split.json.split).toEqual({ restored_profile_id: anonymous!.profileId, from_profile_id: known!.profileId });
    expect((await profilesBy('anonymous_id', 'anon-9')).map((p) => p.profile_id)).toEqual([anonymous!.profileId]);
    const [after] = await delivered([await segment('/v1/track', { anonymousId: 'anon-9', event: 'Viewed' })]);
    expect(after!.profileId).toBe(anonymous!.profileId);
  });

  it('mParticle events carry their mpid as profileId, and customer ids resolve to one profile across batches', async () => {
    await start();
    const batch = (mpid: string | undefined, identities: Record<string, string>) => {
      const messageId = randomUUID();
      return fixture!
        .send(
          '/v2/events',
          {
            ...(mpid ? { mpid } : {}),
            user_identities: identities,
            events: [{ event_type: 'custom_event', data: { event_name: 'Played', source_message_id: messageId } }],
          },
          { auth: 'mp_key:mp_secret' },
        )
        .then((r) => {
          expect(r.status).toBe(202);
          return messageId;
        });
    };
    const [first, second] = await delivered([
      await batch('8934567123456789012', { customerid: 'c-7' }),
      await batch(undefined, { customerid: 'c-7', email: 'c7@example.com' }),
    ]);
    expect(first!.profileId).toBe('8934567123456789012');
    expect(second!.profileId).toBe('8934567123456789012');
  });

  it('an mpid sent as a JSON number keeps every digit, and previous_mpid folds the anonymous profile into the login', async () => {
    await start();
    const batch = (raw: string) =>
      fixture!.send('/v2/events', undefined, { auth: 'mp_key:mp_secret', raw }).then((r) => {
        expect(r.status).toBe(202);
      });
    const event = (id: string) => `"events":[{"event_type":"custom_event","data":{"event_name":"Played","source_message_id":"${id}"}}]`;
    const [anonymousId, loginId] = [randomUUID(), randomUUID()];
    // -8433569646818451201 is beyond 2^53: JSON.parse alone would turn it into -8433569646818451000.
    await batch(`{"mpid": -8433569646818451201, "device_info": {"android_uuid": "phone-1"}, ${event(anonymousId)}}`);
    await batch(`{"mpid": 7723012385641187001, "previous_mpid": -8433569646818451201, "user_identities": {"customerid": "c-9"}, ${event(loginId)}}`);
    const [anonymous, login] = await delivered([anonymousId, loginId]);
    expect(anonymous!.profileId).toBe('-8433569646818451201');
    expect(login!.profileId).toBe('7723012385641187001');
    const [profile] = await profilesBy('customer_id', 'c-9');
    expect(profile!.identifiers.map((i) => `${i.type}:${i.value}`)).toEqual(expect.arrayContaining(['android_uuid:phone-1', 'customer_id:c-9']));
  });

  it('removing an identifier keeps it off the profile for good', async () => {
    await start();
    const [ada] = await delivered([await segment('/v1/identify', { userId: 'u-ada', anonymousId: 'anon-x' })]);
    const removed = await admin('DELETE', `/admin/v1/profiles/${ada!.profileId}/identifiers?identity_type=anonymous_id&identity_value=anon-x`);
    expect(removed.status).toBe(204);
    await delivered([await segment('/v1/identify', { userId: 'u-ada', anonymousId: 'anon-x' })]);
    expect((await profilesBy('user_id', 'u-ada'))[0]!.identifiers.map((i) => i.type)).toEqual(['user_id']);
    expect((await admin('DELETE', `/admin/v1/profiles/${ada!.profileId}/identifiers?identity_type=anonymous_id&identity_value=anon-x`)).status).toBe(404);
  });

  it('the Segment-style profile API reads traits, external ids and held events by any identifier', async () => {
    await start({ connections: [] });
    await segment('/v1/identify', { userId: 'u-ada', anonymousId: 'anon-p', traits: { email: 'ada@example.com', plan: 'pro' } });
    const traits = await admin('GET', '/profiles/v1/email:ada@example.com/traits');
    expect(traits.status).toBe(200);
    expect(traits.json.traits).toMatchObject({ plan: 'pro', email: 'ada@example.com' });
    const ids = await admin('GET', '/profiles/v1/anonymous_id:anon-p/external_ids');
    expect(ids.json.data.map((i: { type: string; id: string }) => `${i.type}:${i.id}`)).toEqual(
      expect.arrayContaining(['user_id:u-ada', 'anonymous_id:anon-p', 'email:ada@example.com']),
    );
    expect((await admin('GET', '/profiles/v1/nobody:x/traits')).status).toBe(404);
    expect((await admin('GET', '/profiles/v1/no-colon/traits')).status).toBe(404);
    expect((await fixture!.send('/profiles/v1/email:ada@example.com/traits', undefined, { method: 'GET' })).status).toBe(401);
  });
});
