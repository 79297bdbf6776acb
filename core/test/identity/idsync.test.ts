import { randomUUID } from 'node:crypto';
import { RouterFixture, type PostOptions } from '../helpers/router.js';

const SERVER = 'mp_key:mp_secret';
const WEB_KEY = 'web_key';

/** A body as the mParticle SDKs send it. */
const body = (knownIdentities: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  client_sdk: { platform: 'web', sdk_vendor: 'mparticle', sdk_version: '2.30.0' },
  environment: 'development',
  request_id: randomUUID(),
  request_timestamp_ms: Date.now(),
  known_identities: knownIdentities,
  ...extra,
});

/** A value no other test uses. */
const unique = (prefix: string) => `${prefix}-${randomUUID()}`;

describe('IDSync HTTP API (/identity/v1)', () => {
  let fixture: RouterFixture;

  beforeAll(async () => {
    fixture = await new RouterFixture({
      admin: { tokens: ['idsync-admin-token-0001'] },
      sources: [
        { id: 'app', type: 'mparticle', apiKey: 'mp_key', apiSecret: 'mp_secret' },
        { id: 'site', type: 'mparticle', apiKey: WEB_KEY, apiSecret: 'web_secret', web: true },
      ],
      connections: [],
    }).start();
  });
  afterAll(async () => {
    await fixture.close();
  });

  const call = (path: string, payload: unknown, options: PostOptions = { auth: SERVER }) => fixture.send(`/identity/v1${path}`, payload, options);
  /** Calls an operation that must succeed and returns its answer. */
  const ok = async (operation: string, payload: unknown) => {
    const response = await call(`/${operation}`, payload);
    expect({ status: response.status, json: response.json }).toEqual({ status: 200, json: expect.objectContaining({ mpid: expect.any(String) }) });
    return response.json as { context: null; mpid: string; matched_identities: Record<string, string>; is_ephemeral: boolean; is_logged_in: boolean };
  };
  const expectError = (response: { status: number; json: any }, status: number, message: RegExp) => {
    expect(response.status).toBe(status);
    expect(response.json).toEqual({
      errors: expect.arrayContaining([expect.objectContaining({ code: expect.any(String), message: expect.stringMatching(message) })]),
    });
  };
  /** Logs in a person on a device (after the anonymous identify every SDK starts with) and returns their mpid. */
  const loginOnDevice = async (identities: Record<string, string>, device: string) => {
    const anonymous = await ok('identify', body({ device_application_stamp: device }));
    return (await ok('login', body({ ...identities, device_application_stamp: device }, { previous_mpid: anonymous.mpid }))).mpid;
  };

  describe('identify, login and logout', () => {
    it('answers an anonymous identify with a device id alone in the documented shape, and the same mpid again', async () => {
      const device = unique('das');
      const first = await ok('identify', body({ device_application_stamp: device }));
      expect(first).toEqual({
        context: null,
        mpid: expect.stringMatching(/^-?[1-9]\d{0,18}$/),
        matched_identities: {},
        is_ephemeral: false,
        is_logged_in: false,
      });
      const again = await ok('identify', body({ device_application_stamp: device }));
      expect(again).toEqual({ ...first, matched_identities: { device_application_stamp: device } });
    });

    it('logs in to a known profile that the device alone no longer reaches, and that its customer id does', async () => {
      const [device, customerId, email] = [unique('das'), unique('c'), `${unique('u')}@example.com`];
      const anonymous = await ok('identify', body({ device_application_stamp: device }));
      const login = await ok('login', body({ customerid: customerId, email, device_application_stamp: device }, { previous_mpid: anonymous.mpid }));
      expect(login.is_logged_in).toBe(true);
      // The anonymous profile is part of the known one now: modifying it modifies K.
      const viaAnonymous = await call(`/${anonymous.mpid}/modify`, {
        environment: 'development',
        identity_changes: [{ identity_type: 'other', old_value: null, new_value: unique('o') }],
      });
      expect(viaAnonymous.json).toEqual({ change_results: [{ identity_type: 'other', modified_mpid: login.mpid }] });

      const deviceOnly = await ok('identify', body({ device_application_stamp: device }));
      expect(deviceOnly.mpid).not.toBe(login.mpid);
      expect(deviceOnly.is_logged_in).toBe(false);
      const byCustomerId = await ok('identify', body({ customerid: customerId }));
      expect(byCustomerId).toEqual({
        context: null,
        mpid: login.mpid,
        matched_identities: { customerid: customerId },
        is_ephemeral: false,
        is_logged_in: true,
      });
    });

    it('folds the anonymous profile of a new device into the existing known profile at login', async () => {
      const customerId = unique('c');
      const known = await loginOnDevice({ customerid: customerId }, unique('das'));
      const newDevice = unique('das');
      const anonymous = await ok('identify', body({ device_application_stamp: newDevice }));
      expect(anonymous.mpid).not.toBe(known);

      const login = await ok('login', body({ customerid: customerId, device_application_stamp: newDevice }, { previous_mpid: anonymous.mpid }));
      expect(login).toEqual({
        context: null,
        mpid: known,
        matched_identities: { customerid: customerId, device_application_stamp: newDevice },
        is_ephemeral: false,
        is_logged_in: true,
      });
      const viaAnonymous = await call(`/${anonymous.mpid}/modify`, { identity_changes: [{ identity_type: 'other', old_value: null, new_value: unique('o') }] });
      expect(viaAnonymous.json.change_results[0].modified_mpid).toBe(known);
    });

    it('gives a second person logging in on the same device a profile of their own', async () => {
      const device = unique('das');
      const [first, second] = [
        { customerid: unique('c'), email: `${unique('a')}@example.com` },
        { customerid: unique('c'), email: `${unique('b')}@example.com` },
      ];
      const firstMpid = await loginOnDevice(first, device);
      const secondMpid = await loginOnDevice(second, device);
      expect(secondMpid).not.toBe(firstMpid);
      expect((await ok('search', body({ email: first.email }))).mpid).toBe(firstMpid);
      expect((await ok('search', body({ email: second.email }))).mpid).toBe(secondMpid);
    });

    it("never folds a known previous profile into the next person's: each keeps their own email", async () => {
      const device = unique('das');
      const [first, second] = [`${unique('a')}@example.com`, `${unique('b')}@example.com`];
      const firstMpid = (await ok('login', body({ email: first, device_application_stamp: device }))).mpid;
      const secondLogin = await ok('login', body({ email: second, device_application_stamp: device }, { previous_mpid: firstMpid }));
      expect(secondLogin.mpid).not.toBe(firstMpid);
      expect(secondLogin.is_logged_in).toBe(true);
      expect((await ok('search', body({ email: first }))).mpid).toBe(firstMpid);
      expect((await ok('search', body({ email: second }))).mpid).toBe(secondLogin.mpid);
    });

    it('logs out to an anonymous profile of the device that is neither known profile, whatever user ids the request carries', async () => {
      const device = unique('das');
      const first = { customerid: unique('c') };
      const firstMpid = await loginOnDevice(first, device);
      const secondMpid = await loginOnDevice({ customerid: unique('c') }, device);

      const logout = await ok('logout', body({ device_application_stamp: device }, { previous_mpid: secondMpid }));
      expect([firstMpid, secondMpid]).not.toContain(logout.mpid);
      expect(logout.is_logged_in).toBe(false);
      const withUserId = await ok('logout', body({ ...first, device_application_stamp: device }));
      expect(withUserId).toEqual(expect.objectContaining({ mpid: logout.mpid, is_logged_in: false }));
      expectError(await call('/logout', body(first)), 400, /device identities only/);
    });

    it('records each change in the graph log under its IDSync operation', async () => {
      const device = unique('das');
      const known = await loginOnDevice({ customerid: unique('c') }, device);
      await call(`/${known}/modify`, { identity_changes: [{ identity_type: 'email', old_value: null, new_value: `${unique('m')}@example.com` }] });
      const log = await fixture.send(`/admin/v1/profiles/${known}/log`, undefined, {
        method: 'GET',
        headers: { authorization: 'Bearer idsync-admin-token-0001' },
      });
      const causes = (log.json.log as Array<{ cause: string }>).map((entry) => entry.cause);
      expect(causes).toEqual(expect.arrayContaining(['idsync:identify', 'idsync:login', 'idsync:modify']));
    });
  });

  describe('search', () => {
    it('answers 404 in the error shape when nothing matches, and creates nothing', async () => {
      const email = `${unique('nobody')}@example.com`;
      for (let i = 0; i < 2; i += 1) expectError(await call('/search', body({ email })), 404, /no user matches/);
    });

    it('answers the known profile for its email, with the identities that matched', async () => {
      const [customerId, email] = [unique('c'), `${unique('k')}@example.com`];
      const known = await loginOnDevice({ customerid: customerId, email }, unique('das'));
      expect(await ok('search', body({ email }))).toEqual({
        context: null,
        mpid: known,
        matched_identities: { email },
        is_ephemeral: false,
        is_logged_in: true,
      });
      const both = await ok('search', body({ email: email.toUpperCase(), customerid: customerId }));
      expect(both.matched_identities).toEqual({ email: email.toUpperCase(), customerid: customerId });
    });

    it("meets the Events API's spellings of an identity type (other2 = other_id_2) and writings of a phone", async () => {
      const [other, customerId] = [unique('o2'), unique('c')];
      const known = await loginOnDevice({ customerid: customerId, other2: other, mobile_number: '+1 (650) 555-0142' }, unique('das'));
      expect(await ok('search', body({ other_id_2: other }))).toEqual(expect.objectContaining({ mpid: known, matched_identities: { other_id_2: other } }));
      expect((await ok('search', body({ phone_number_2: '+16505550142', customerid: customerId }))).matched_identities).toEqual({
        phone_number_2: '+16505550142',
        customerid: customerId,
      });
    });

    it('links nothing new to the profile it finds', async () => {
      const email = `${unique('k')}@example.com`;
      const other = unique('o');
      await loginOnDevice({ email }, unique('das'));
      const found = await ok('search', body({ email, other }));
      expect(found.matched_identities).toEqual({ email });
      expectError(await call('/search', body({ other })), 404, /no user matches/);
    });
  });

  describe('modify', () => {
    it('replaces an email: the new one finds the profile, the old one nothing', async () => {
      const [oldEmail, newEmail] = [`${unique('old')}@example.com`, `${unique('new')}@example.com`];
      const known = await loginOnDevice({ customerid: unique('c'), email: oldEmail }, unique('das'));
      const modified = await call(
        `/${known}/modify`,
        body({}, { known_identities: undefined, identity_changes: [{ identity_type: 'email', old_value: oldEmail, new_value: newEmail }] }),
      );
      expect({ status: modified.status, json: modified.json }).toEqual({
        status: 200,
        json: { change_results: [{ identity_type: 'email', modified_mpid: known }] },
      });
      expect((await ok('search', body({ email: newEmail }))).mpid).toBe(known);
      expectError(await call('/search', body({ email: oldEmail })), 404, /no user matches/);
    });

    it('refuses an email another profile holds with 409, changing neither profile', async () => {
      const [taken, own] = [`${unique('taken')}@example.com`, `${unique('own')}@example.com`];
      const holder = await loginOnDevice({ email: taken }, unique('das'));
      const other = await loginOnDevice({ email: own }, unique('das'));
      const refused = await call(`/${other}/modify`, { identity_changes: [{ identity_type: 'email', old_value: own, new_value: taken }] });
      expectError(refused, 409, /already linked to another profile/);
      expect((await ok('search', body({ email: taken }))).mpid).toBe(holder);
      expect((await ok('search', body({ email: own }))).mpid).toBe(other);
    });

    it('answers 404 for an mpid that names no profile, and 400 for one that is not an mpid', async () => {
      const change = { identity_changes: [{ identity_type: 'email', old_value: null, new_value: `${unique('x')}@example.com` }] };
      expectError(await call('/1234567/modify', change), 404, /no profile 1234567/);
      expectError(await call('/not-a-number/modify', change), 400, /mpid in the path/);
    });
  });

  describe('junk values', () => {
    it.each(['', 'null', '0'])('never matches or joins anyone through the value %j', async (junk) => {
      const first = await ok('identify', body({ device_application_stamp: unique('das'), email: junk, customerid: junk }));
      const second = await ok('identify', body({ device_application_stamp: unique('das'), email: junk, customerid: junk }));
      expect(second.mpid).not.toBe(first.mpid);
      expect(second.matched_identities).toEqual({});
      expect(second.is_logged_in).toBe(false);
      expectError(await call('/search', body({ email: junk })), 400, /none of these values can identify anyone/);
      expectError(
        await call(`/${first.mpid}/modify`, { identity_changes: [{ identity_type: 'email', old_value: null, new_value: junk }] }),
        400,
        /can identify anyone/,
      );
    });
  });

  describe('authentication', () => {
    const identify = (options: PostOptions) => call('/identify', body({ device_application_stamp: unique('das') }), options);

    it("accepts x-mp-key alone for a web source, and a web source's Basic key:secret", async () => {
      expect((await identify({ headers: { 'x-mp-key': WEB_KEY } })).status).toBe(200);
      expect((await identify({ auth: `${WEB_KEY}:web_secret` })).status).toBe(200);
    });

    it('refuses x-mp-key alone for a source that is not a web source with 403', async () => {
      expectError(await identify({ headers: { 'x-mp-key': 'mp_key' } }), 403, /not a web source/);
    });

    it('answers 401 to a wrong secret, an unknown key and no credentials', async () => {
      expectError(await identify({ auth: 'mp_key:wrong' }), 401, /do not match an mParticle source/);
      expectError(await identify({ auth: 'no_such_key:mp_secret' }), 401, /do not match an mParticle source/);
      expectError(await identify({ headers: { 'x-mp-key': 'no_such_key' } }), 401, /not the API key of an mParticle source/);
      expectError(await identify({ auth: null }), 401, /send HTTP Basic auth/);
    });

    it('answers CORS preflights and lets browsers read every answer', async () => {
      const preflight = await fetch(`${fixture.url}/identity/v1/identify`, {
        method: 'OPTIONS',
        headers: { origin: 'https://shop.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-mp-key' },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
      expect(preflight.headers.get('access-control-allow-headers')).toMatch(/x-mp-key/);
      expect((await identify({ headers: { 'x-mp-key': WEB_KEY } })).headers.get('access-control-allow-origin')).toBe('*');
      expect((await identify({ auth: null })).headers.get('access-control-allow-origin')).toBe('*');
    });
  });

  describe('malformed requests', () => {
    const cases: Array<[string, () => ReturnType<typeof call>, number, RegExp]> = [
      ['a body that is not JSON', () => call('/identify', undefined, { auth: SERVER, raw: '{"known_identities":' }), 400, /not valid JSON/],
      ['a body that is not an object', () => call('/identify', [body({ email: 'a@example.com' })]), 400, /^\$: must be a JSON object/],
      ['no known_identities', () => call('/identify', body({}, { known_identities: undefined })), 400, /\$\.known_identities: is required/],
      ['empty known_identities', () => call('/identify', body({})), 400, /\$\.known_identities: must hold at least one identity/],
      ['an unknown identity type', () => call('/identify', body({ shoe_size: '42' })), 400, /\$\.known_identities\.shoe_size: is not an IDSync identity type/],
      ['a value that is not a string', () => call('/login', body({ email: 42 })), 400, /\$\.known_identities\.email: must be a string or null, got number 42/],
      [
        'too many identities',
        () => call('/identify', body(Object.fromEntries(Array.from({ length: 31 }, (_, i) => [`other${i}`, 'x'])))),
        400,
        /\$\.known_identities: has 31 identities; the limit is 30/,
      ],
      [
        'an unknown environment',
        () => call('/identify', body({ email: 'a@example.com' }, { environment: 'staging' })),
        400,
        /\$\.environment: must be production or development/,
      ],
      [
        'a previous_mpid that is not an mpid',
        () => call('/login', body({ email: 'a@example.com' }, { previous_mpid: 'abc' })),
        400,
        /\$\.previous_mpid: must be an mpid/,
      ],
      ['a modify without identity_changes', () => call('/1234/modify', { environment: 'production' }), 400, /\$\.identity_changes: is required/],
      [
        'a modify with an unknown identity type',
        () => call('/1234/modify', { identity_changes: [{ identity_type: 'shoe_size', old_value: null, new_value: '42' }] }),
        400,
        /\$\.identity_changes\[0\]\.identity_type: must be an IDSync identity type/,
      ],
      [
        'a modify that changes nothing',
        () => call('/1234/modify', { identity_changes: [{ identity_type: 'email', old_value: null, new_value: null }] }),
        400,
        /\$\.identity_changes\[0\]: changes nothing/,
      ],
      [
        'a content type that is not JSON',
        () => call('/identify', undefined, { auth: SERVER, raw: '<x/>', headers: { 'content-type': 'application/xml' } }),
        415,
        /application\/xml/,
      ],
      ['a GET', () => call('/identify', undefined, { auth: SERVER, method: 'GET' }), 405, /GET is not allowed on \/identity\/v1\/identify/],
    ];
    it.each(cases)('answers %s with a JSON error naming what is wrong', async (_name, send, status, message) => {
      expectError(await send(), status, message);
    });
  });
});
