import { gzipSync } from 'node:zlib';
import { signMparticleRequest } from '../../src/auth/mparticle-signature.js';
import { INPUT_LIMITS } from '../../src/http-input/input-limits.js';
import { HttpSink } from '../helpers/http-sink.js';
import { RouterFixture } from '../helpers/router.js';

const SHOP = 'https://shop.example';
const ELSEWHERE = 'https://elsewhere.example';
const preflight = (method = 'POST', headers = 'authorization,content-type') => ({
  'access-control-request-method': method,
  'access-control-request-headers': headers,
});

/** The HTTP side of what browser and mobile SDKs do; the browsers themselves are in test/e2e/browser-sdks.test.ts. */
describe('the routes browser and mobile SDKs call', () => {
  let sink: HttpSink;
  let fixture: RouterFixture;
  const delivered = () => sink.requests.flatMap((r) => (Array.isArray((r.body as any)?.batch) ? (r.body as any).batch : [r.body])) as any[];
  const arrived = (messageId: string) => sink.waitFor(() => delivered().some((e) => e.messageId === messageId));

  beforeAll(async () => {
    sink = await new HttpSink().start();
    fixture = await new RouterFixture({
      admin: { tokens: ['admin-token-browser-0001'] },
      sources: [
        { id: 'web', type: 'segment', writeKey: 'wk_web' },
        { id: 'shop', type: 'segment', writeKey: 'wk_shop', allowedOrigins: [SHOP] },
        { id: 'browser', type: 'mparticle', apiKey: 'mp_web', apiSecret: 'mp_web_secret', web: true, allowedOrigins: [SHOP] },
        { id: 'flooded', type: 'mparticle', apiKey: 'mp_flooded', apiSecret: 'mp_flooded_secret', web: true },
        { id: 'app', type: 'mparticle', apiKey: 'mp_app', apiSecret: 'mp_app_secret' },
      ],
      connections: [{ id: 'hook', connector: 'webhook', settings: { url: `${sink.url}/hook` } }],
    }).start();
  });
  afterAll(async () => {
    await fixture.close();
    await sink.stop();
  });

  describe('CORS', () => {
    it('answers a preflight of an ingestion route with 204, any origin and the headers the SDKs send', async () => {
      const headers = 'authorization,content-type,anonymousid,sentat,x-retry-count';
      const response = await fixture.send('/v1/t', undefined, { method: 'OPTIONS', headers: { origin: ELSEWHERE, ...preflight('POST', headers) } });
      expect(response.status).toBe(204);
      // Another source lists its origins, so the answer names the origin rather than `*`.
      expect(response.headers.get('access-control-allow-origin')).toBe(ELSEWHERE);
      for (const header of headers.split(',')) expect(response.headers.get('access-control-allow-headers')).toContain(header);
      expect(response.headers.get('access-control-allow-methods')).toContain('POST');
    });

    it.each(['/admin/v1/connections', '/opendsr/v1/requests', '/profiles/v1/x', '/metrics', '/dashboard/'])(
      'gives %s no CORS headers, preflight or not',
      async (path) => {
        const options = await fixture.send(path, undefined, { method: 'OPTIONS', headers: { origin: ELSEWHERE, ...preflight('GET') } });
        expect(options.headers.get('access-control-allow-origin')).toBeNull();
        const get = await fixture.send(path, undefined, { method: 'GET', headers: { origin: ELSEWHERE, authorization: 'Bearer admin-token-browser-0001' } });
        expect(get.headers.get('access-control-allow-origin')).toBeNull();
      },
    );

    it("refuses an event from an origin the source's allowedOrigins leaves out, and stores nothing", async () => {
      const event = { userId: 'u-cors', event: 'Refused', messageId: 'cors-refused' };
      const refused = await fixture.send('/v1/track', event, { auth: 'wk_shop:', headers: { origin: ELSEWHERE } });
      expect(refused.status).toBe(403);
      expect(refused.json).toMatchObject({ success: false, code: 'ORIGIN_NOT_ALLOWED' });
      expect(refused.headers.get('access-control-allow-origin')).toBeNull();

      const allowed = await fixture.send('/v1/track', { ...event, messageId: 'cors-allowed' }, { auth: 'wk_shop:', headers: { origin: SHOP } });
      expect(allowed.status).toBe(200);
      expect(allowed.headers.get('access-control-allow-origin')).toBe(SHOP);
      await arrived('cors-allowed');
      expect(delivered().some((e) => e.messageId === 'cors-refused')).toBe(false);
    });

    it('counts neither preflights nor settings reads as acknowledged ingestion requests', async () => {
      const acknowledged = async () => {
        const metrics = (await fixture.send('/metrics', undefined, { method: 'GET' })).text;
        return Number(/switchyard_ingestion_ack_duration_seconds_count\{api="segment"\} (\d+)/.exec(metrics)?.[1] ?? 0);
      };
      const before = await acknowledged();
      await fixture.send('/v1/t', undefined, { method: 'OPTIONS', headers: { origin: SHOP, ...preflight() } });
      await fixture.send('/v1/projects/wk_web/settings', undefined, { method: 'GET' });
      expect(await acknowledged()).toBe(before);
      expect((await fixture.send('/v1/t', { userId: 'u-metrics', event: 'Counted' }, { auth: 'wk_web:' })).status).toBe(200);
      expect(await acknowledged()).toBe(before + 1);
    });

    it('answers the preflight of a source named in the URL for that source alone', async () => {
      const mp = (origin: string) =>
        fixture.send('/webevents/v3/JS/mp_web/events', undefined, { method: 'OPTIONS', headers: { origin, ...preflight('POST', 'content-type') } });
      expect((await mp(SHOP)).headers.get('access-control-allow-origin')).toBe(SHOP);
      expect((await mp(ELSEWHERE)).headers.get('access-control-allow-origin')).toBeNull();
    });
  });

  describe('Segment analytics.js', () => {
    it('serves settings that send the SDK to this router, and 404 JSON for an unknown write key', async () => {
      const settings = await fixture.send('/v1/projects/wk_web/settings', undefined, { method: 'GET', headers: { origin: ELSEWHERE } });
      expect(settings.status).toBe(200);
      expect(settings.headers.get('access-control-allow-origin')).toBe('*');
      const host = new URL(fixture.url).host;
      expect(settings.json.integrations['Segment.io']).toMatchObject({ apiKey: 'wk_web', apiHost: `${host}/v1`, protocol: 'http' });

      const unknown = await fixture.send('/v1/projects/wk_nobody/settings', undefined, { method: 'GET' });
      expect(unknown.status).toBe(404);
      expect(unknown.json).toMatchObject({ success: false, code: 'UNKNOWN_WRITE_KEY' });
    });

    it.each([
      ['t', 'track', { event: 'Short Track' }],
      ['i', 'identify', { traits: { plan: 'pro' } }],
      ['p', 'page', { name: 'Home' }],
      ['s', 'screen', { name: 'Settings' }],
      ['g', 'group', { groupId: 'g-1' }],
      ['a', 'alias', { previousId: 'old-1' }],
    ])('takes /v1/%s as a %s with a text/plain body and the write key in the body', async (letter, type, fields) => {
      const messageId = `short-${letter}`;
      const response = await fixture.send('/v1/' + letter, undefined, {
        raw: JSON.stringify({ userId: 'u-short', writeKey: 'wk_web', messageId, ...fields }),
        headers: { 'content-type': 'text/plain' },
      });
      expect(response.status).toBe(200);
      await arrived(messageId);
      expect(delivered().find((e) => e.messageId === messageId)).toMatchObject({ type, userId: 'u-short' });
    });

    it('corrects the timestamp by the device clock skew: receivedAt − (sentAt − timestamp)', async () => {
      // A device clock two hours fast: the call happened 5 s before it was sent.
      const skew = 2 * 3600_000;
      const sentAt = Date.now() + skew;
      const before = Date.now();
      const response = await fixture.send(
        '/v1/t',
        { userId: 'u-skew', event: 'Skewed', messageId: 'skewed', timestamp: new Date(sentAt - 5000).toISOString(), sentAt: new Date(sentAt).toISOString() },
        { auth: 'wk_web:' },
      );
      expect(response.status).toBe(200);
      await arrived('skewed');
      const event = delivered().find((e) => e.messageId === 'skewed');
      const corrected = Date.parse(event.timestamp);
      expect(corrected).toBe(Date.parse(event.receivedAt) - 5000);
      expect(corrected).toBeGreaterThanOrEqual(before - 5000);
      expect(event.originalTimestamp).toBe(new Date(sentAt - 5000).toISOString());
    });

    it("takes a browser's user agent from the request (a server library's is not the person's) and keeps context.page", async () => {
      const page = { path: '/pricing', url: 'https://shop.example/pricing', title: 'Pricing', referrer: '' };
      const send = (messageId: string, headers: Record<string, string>) =>
        fixture.send('/v1/p', { anonymousId: 'a-ua', name: 'Pricing', messageId, context: { page } }, { auth: 'wk_web:', headers });
      expect((await send('ua-browser', { 'user-agent': 'Mozilla/5.0 (test browser)', origin: SHOP })).status).toBe(200);
      expect((await send('ua-server', { 'user-agent': 'analytics-node/3.0' })).status).toBe(200);
      await arrived('ua-browser');
      await arrived('ua-server');
      expect(delivered().find((e) => e.messageId === 'ua-browser').context).toMatchObject({ userAgent: 'Mozilla/5.0 (test browser)', page, ip: '127.0.0.1' });
      expect(delivered().find((e) => e.messageId === 'ua-server').context.userAgent).toBeUndefined();
    });
  });

  describe('RudderStack JS', () => {
    it('answers /sourceConfig/ with a source and no device-mode destinations', async () => {
      const response = await fixture.send('/sourceConfig/?p=npm&v=3.0.0&build=modern&writeKey=wk_web&lockIntegrationsVersion=false', undefined, {
        method: 'GET',
        auth: 'wk_web:',
        headers: { origin: ELSEWHERE },
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('access-control-allow-origin')).toBe('*');
      expect(response.json.source).toMatchObject({ id: 'web', writeKey: 'wk_web', enabled: true, destinations: [], config: expect.any(Object) });
      expect((await fixture.send('/sourceConfig/?writeKey=wk_nobody', undefined, { method: 'GET' })).status).toBe(404);
    });

    it('answers the preflight of /sourceConfig/ and /v1/track with the AnonymousId and SentAt headers', async () => {
      for (const path of ['/sourceConfig/?writeKey=wk_web', '/v1/track']) {
        const response = await fixture.send(path, undefined, {
          method: 'OPTIONS',
          headers: { origin: ELSEWHERE, ...preflight('POST', 'authorization,anonymousid,sentat,content-type') },
        });
        expect(response.status).toBe(204);
        expect(['*', ELSEWHERE]).toContain(response.headers.get('access-control-allow-origin'));
        expect(response.headers.get('access-control-allow-headers')).toMatch(/anonymousid.*sentat|sentat.*anonymousid/);
      }
    });

    it('takes a beacon batch of nearly 64 KB with the write key in the query string', async () => {
      const filler = 'x'.repeat(20_000);
      const batch = [1, 2, 3].map((i) => ({ type: 'track', event: 'Beaconed', anonymousId: 'a-beacon', messageId: `beacon-${i}`, properties: { filler } }));
      const raw = JSON.stringify({ batch, sentAt: new Date().toISOString() });
      expect(raw.length).toBeGreaterThan(60_000);
      expect(raw.length).toBeLessThan(64 * 1024);
      const response = await fixture.send('/beacon/v1/batch?writeKey=wk_web', undefined, { raw, headers: { 'content-type': 'text/plain;charset=UTF-8' } });
      expect(response.status).toBe(200);
      await sink.waitFor(() => [1, 2, 3].every((i) => delivered().some((e) => e.messageId === `beacon-${i}`)));
    });
  });

  describe('mParticle web SDK', () => {
    const webBatch = (messageId: string) => ({
      mpid: '-4242424242424242424',
      user_identities: { customer_id: 'mp-web-user' },
      events: [{ event_type: 'custom_event', data: { event_name: 'Web Play', custom_event_type: 'other', source_message_id: messageId } }],
    });

    it("takes a text/plain batch with only the web source's key in the path", async () => {
      for (const path of ['/webevents/v3/JS/mp_web/events', '/v3/JS/mp_web/events']) {
        const messageId = `web-${path.length}`;
        const response = await fixture.send(path, undefined, {
          raw: JSON.stringify(webBatch(messageId)),
          headers: { 'content-type': 'text/plain;charset=UTF-8', origin: SHOP },
        });
        expect(response.status).toBe(202);
        expect(response.headers.get('access-control-allow-origin')).toBe(SHOP);
        await arrived(messageId);
        expect(delivered().find((e) => e.messageId === messageId)).toMatchObject({ sourceId: 'browser', userId: 'mp-web-user', event: 'Web Play' });
      }
    });

    it('refuses the key of a source that is not a web source, and an unknown key, in the Events API error shape', async () => {
      const notWeb = await fixture.send('/webevents/v3/JS/mp_app/events', webBatch('not-web'));
      expect(notWeb.status).toBe(403);
      expect(notWeb.json.errors[0]).toMatchObject({ code: 'FORBIDDEN', message: expect.stringMatching(/web: true/) });
      const unknown = await fixture.send('/webevents/v3/JS/mp_nobody/events', webBatch('unknown'));
      expect(unknown.status).toBe(401);
      expect(unknown.json.errors[0].code).toBe('UNAUTHORIZED');
    });

    it('holds each web source to a request budget per client address: 429 with Retry-After past it, other sources unaffected', async () => {
      // Empty batches are refused after the budget is counted, so the flood stores nothing.
      const flood = () => fixture.send('/webevents/v3/JS/mp_flooded/events', {});
      let refused: Awaited<ReturnType<typeof flood>> | undefined;
      // A budget window may end during the flood; within two windows' worth of requests one is refused.
      for (let sent = 0; !refused && sent <= 2 * INPUT_LIMITS.webSource.requestsPerWindow + 1; sent++) {
        const response = await flood();
        if (response.status === 429) refused = response;
        else expect(response.status).toBe(400);
      }
      expect(refused?.json.errors[0]).toMatchObject({ code: 'RATE_LIMITED', message: expect.stringMatching(/requests in 60 s/) });
      expect(Number(refused?.headers.get('retry-after'))).toBeGreaterThan(0);
      const other = await fixture.send('/webevents/v3/JS/mp_web/events', undefined, {
        raw: JSON.stringify(webBatch('after-flood')),
        headers: { 'content-type': 'text/plain' },
      });
      expect(other.status).toBe(202);
      // IDSync with the key alone shares the budget.
      const identify = await fixture.send(
        '/identity/v1/identify',
        { known_identities: { email: 'flood@example.com' } },
        { headers: { 'x-mp-key': 'mp_flooded' } },
      );
      expect(identify.status).toBe(429);
    });

    it("folds an anonymous user into a known one at the web SDK's aliasUrl, /webevents/v1/identity/{key}/Alias, and never two known ones", async () => {
      const identify = async (known_identities: Record<string, string>, path = '/identity/v1/identify') => {
        const response = await fixture.send(
          path,
          { environment: 'development', request_id: 'r', request_timestamp_ms: 1, known_identities },
          { headers: { 'x-mp-key': 'mp_web' } },
        );
        return response.json.mpid as string;
      };
      const anonymous = await identify({ device_application_stamp: 'das-alias-1' });
      const known = await identify({ customerid: 'alias-user-1' });
      expect(anonymous).not.toBe(known);
      const alias = await fixture.send(
        '/webevents/v1/identity/mp_web/Alias',
        {
          request_id: 'a-1',
          request_type: 'alias',
          environment: 'development',
          api_key: 'mp_web',
          data: { source_mpid: anonymous, destination_mpid: known, start_unixtime_ms: 1, end_unixtime_ms: 2 },
        },
        { headers: { origin: SHOP } },
      );
      expect(alias.status).toBe(202);
      expect(alias.headers.get('access-control-allow-origin')).toBe(SHOP);
      // The anonymous profile's device identity is now the known person's.
      const found = await fixture.send('/admin/v1/profiles?identity_type=device_application_stamp&identity_value=das-alias-1', undefined, {
        method: 'GET',
        headers: { authorization: 'Bearer admin-token-browser-0001' },
      });
      expect(found.json.profiles.map((p: { profile_id: string }) => p.profile_id)).toEqual([known]);

      // The key is public: a page may fold an anonymous visitor in, never merge two known people.
      const other = await identify({ customerid: 'alias-user-2' });
      const merge = await fixture.send('/webevents/v1/identity/mp_web/Alias', { data: { source_mpid: other, destination_mpid: known } });
      expect(merge.status).toBe(202);
      const apart = await fixture.send('/admin/v1/profiles?identity_type=customer_id&identity_value=alias-user-2', undefined, {
        method: 'GET',
        headers: { authorization: 'Bearer admin-token-browser-0001' },
      });
      expect(apart.json.profiles.map((p: { profile_id: string }) => p.profile_id)).toEqual([other]);

      const bad = await fixture.send('/webevents/v1/identity/mp_web/Alias', { data: { source_mpid: 'x', destination_mpid: known } });
      expect(bad.status).toBe(400);
      expect(bad.json.errors[0]).toMatchObject({ code: 'BAD_REQUEST', path: '$.data.source_mpid' });
    });

    it('serves the config the SDK requests, without kits', async () => {
      const response = await fixture.send('/tags/JS/v2/mp_web/config?env=1', undefined, { method: 'GET', headers: { origin: SHOP } });
      expect(response.status).toBe(200);
      expect(response.json).toEqual({ kitConfigs: [], pixelConfigs: [], flags: {} });
    });

    it('answers identity calls from the web source at /identity/v1 with x-mp-key, clear of Segment /v1/identify', async () => {
      const body = {
        client_sdk: { platform: 'web' },
        environment: 'development',
        request_id: 'r-1',
        request_timestamp_ms: Date.now(),
        known_identities: { email: 'web@example.com' },
      };
      const response = await fixture.send('/identity/v1/identify', body, { headers: { 'x-mp-key': 'mp_web', origin: SHOP } });
      expect(response.status).toBe(200);
      expect(response.json.mpid).toMatch(/^-?\d+$/);
      expect(response.headers.get('access-control-allow-origin')).toBe(SHOP);
      const refused = await fixture.send('/identity/v1/identify', body, { headers: { 'x-mp-key': 'mp_web', origin: ELSEWHERE } });
      expect(refused.status).toBe(403);
      expect(refused.headers.get('access-control-allow-origin')).toBeNull();
    });
  });

  describe('mParticle mobile SDKs: batches signed with x-mp-signature', () => {
    const batch = {
      user_identities: { customer_id: 'mobile-user' },
      events: [{ event_type: 'custom_event', data: { event_name: 'Tapped', source_message_id: 'signed-1' } }],
    };
    const signedPost = (options: { body?: string; date?: Date; secret?: string; tamper?: (body: string) => string; gzip?: boolean } = {}) => {
      const body = options.body ?? JSON.stringify(batch);
      const date = (options.date ?? new Date()).toUTCString();
      const path = '/v2/mp_app/events';
      const signature = signMparticleRequest(options.secret ?? 'mp_app_secret', { method: 'POST', path, date, body });
      const sent = options.tamper ? options.tamper(body) : body;
      return fetch(`${fixture.url}${path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-mp-key': 'mp_app',
          date,
          'x-mp-signature': signature,
          ...(options.gzip ? { 'content-encoding': 'gzip' } : {}),
        },
        body: options.gzip ? gzipSync(sent) : sent,
      });
    };

    it('accepts a batch signed with the source secret (gzipped as the Android SDK sends it)', async () => {
      const response = await signedPost({ gzip: true });
      expect(response.status).toBe(202);
      await arrived('signed-1');
      expect(delivered().find((e) => e.messageId === 'signed-1')).toMatchObject({ sourceId: 'app', userId: 'mobile-user', event: 'Tapped' });
    });

    it("maps the SDKs' own upload (msgs, ui, ua, das with short keys) to events", async () => {
      const now = Date.now();
      // The mpid is a JSON number of 19 digits, as the SDKs write it: read exactly.
      const body = `{"dt":"h","id":"batch-1","ct":${now},"mpid":8214689024127836510,"das":"das-native-1","ui":[{"n":1,"i":"native-user"},{"n":7,"i":"native@example.com"}],"ua":{"tier":"gold"},"msgs":[{"dt":"ss","id":"native-ss","ct":${now},"sid":"sess-1"},{"dt":"e","n":"Tapped Buy","et":"UserContent","attrs":{"button":"buy"},"ct":${now},"id":"native-e","sid":"sess-1"},{"dt":"v","n":"Home Screen","ct":${now},"id":"native-v","sid":"sess-1"},{"dt":"cs","id":"internal"}]}`;
      const response = await signedPost({ body, gzip: true });
      expect(response.status).toBe(202);
      await sink.waitFor(() => ['native-e', 'native-v', 'native-ss'].every((id) => delivered().some((e) => e.messageId === id)));
      expect(delivered().find((e) => e.messageId === 'native-e')).toMatchObject({
        type: 'track',
        event: 'Tapped Buy',
        userId: 'native-user',
        identities: { customer_id: 'native-user', email: 'native@example.com', mpid: '8214689024127836510', device_application_stamp: 'das-native-1' },
        traits: { tier: 'gold' },
        properties: { button: 'buy', custom_event_type: 'user_content' },
        timestamp: new Date(now).toISOString(),
        context: { session: { id: 'sess-1' } },
      });
      expect(delivered().find((e) => e.messageId === 'native-v')).toMatchObject({ type: 'screen', event: 'Home Screen' });
      expect(delivered().find((e) => e.messageId === 'native-ss')).toMatchObject({ type: 'session_start' });
      expect(delivered().some((e) => e.messageId === 'internal')).toBe(false);
    });

    it.each([
      ['a tampered body', { tamper: (body: string) => body.replace('Tapped', 'Tampered') }],
      ['a wrong secret', { secret: 'not-the-secret' }],
      ['a Date 20 minutes old', { date: new Date(Date.now() - 20 * 60_000) }],
    ])('refuses %s with 401 JSON and stores nothing', async (_name, options) => {
      const response = await signedPost(options);
      expect(response.status).toBe(401);
      expect((await response.json()).errors[0].code).toBe('UNAUTHORIZED');
    });

    it('refuses an unsigned batch at the signed path', async () => {
      const response = await fixture.send('/v2/mp_app/events', batch);
      expect(response.status).toBe(401);
      expect(response.json.errors[0].message).toMatch(/x-mp-signature/);
    });

    it('answers a signed IDSync identify (x-mp-key, Date, x-mp-signature) and refuses it tampered', async () => {
      const path = '/identity/v1/identify';
      const body = JSON.stringify({
        client_sdk: { platform: 'android' },
        environment: 'development',
        request_id: 'r-2',
        request_timestamp_ms: 1,
        known_identities: { android_uuid: 'f924f1e5707b34b7' },
      });
      const date = new Date().toUTCString();
      const signature = signMparticleRequest('mp_app_secret', { method: 'POST', path, date, body });
      const send = (sent: string) =>
        fetch(`${fixture.url}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-mp-key': 'mp_app', date, 'x-mp-signature': signature },
          body: sent,
        });
      const answered = await send(body);
      expect(answered.status).toBe(200);
      expect((await answered.json()).mpid).toMatch(/^-?\d+$/);
      const tampered = await send(body.replace('f924', 'f925'));
      expect(tampered.status).toBe(401);
      expect((await tampered.json()).errors[0].code).toBe('UNAUTHORIZED');
    });

    afterAll(() => {
      expect(delivered().some((e) => e.event === 'Tampered')).toBe(false);
    });
  });
});
