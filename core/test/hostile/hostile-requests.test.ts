import { HostileRouter, MPARTICLE_AUTH, SECRETS, SEGMENT_AUTH } from '../helpers/hostile-router.js';
import {
  dsrRequest,
  errorMessage,
  expectErrorShape,
  familyOf,
  mpBatch,
  nestedJson,
  POST_ROUTES,
  track,
  withRaw,
  type Family,
} from '../helpers/route-families.js';

const PROTOTYPE_NAMES = Object.getOwnPropertyNames(Object.prototype);

describe('hostile requests on every route family', () => {
  const router = new HostileRouter();
  const authFor = (family: Family) =>
    family === 'segment'
      ? { auth: SEGMENT_AUTH }
      : family === 'mparticle'
        ? { auth: MPARTICLE_AUTH }
        : { headers: { authorization: `Bearer ${SECRETS.adminToken}` } };
  /** POSTs exact bytes as JSON with the family's credentials. */
  const post = (family: Family, path: string, raw: string | Buffer | undefined, headers: Record<string, string> = {}) => {
    const auth = authFor(family);
    return router.fixture.send(path, undefined, {
      ...auth,
      raw: raw as string,
      headers: { ...(raw === undefined ? {} : { 'content-type': 'application/json' }), ...auth.headers, ...headers },
    });
  };
  const delivered = () => router.sink.requests.map((r) => r.body as any);

  beforeAll(async () => {
    await router.start();
  });
  afterAll(async () => {
    await router.close();
  });
  afterEach(async () => {
    expect((await router.fixture.send('/health', undefined, { method: 'GET' })).status).toBe(200);
  });

  describe('1. a missing body is a client error', () => {
    const credentials = (family: Family): Record<string, string> => {
      const { auth, headers } = authFor(family) as { auth?: string; headers?: Record<string, string> };
      return auth ? { authorization: `Basic ${Buffer.from(auth).toString('base64')}` } : headers!;
    };

    it.each(POST_ROUTES.map((r) => [r.path, r.family] as const))(
      'answers 400 EMPTY_BODY, never 503, to a POST without a body or content type on %s',
      async (path, family) => {
        const response = await router.request('POST', path, { headers: credentials(family) });
        expect(response.status).toBe(400);
        expectErrorShape(family, response.json, 400);
        expect(response.text).toMatch(/body is empty/);
      },
    );

    it.each(POST_ROUTES.map((r) => [r.path, r.family] as const))('answers 400 EMPTY_BODY to an empty JSON body on %s', async (path, family) => {
      const response = await router.request('POST', path, { headers: { ...credentials(family), 'content-type': 'application/json' }, raw: '' });
      expect(response.status).toBe(400);
      expectErrorShape(family, response.json, 400);
      expect(response.text).toMatch(/body is empty/);
    });

    it.each(['/v1/batch', '/v1/import'])('answers 400 naming $.batch to {} on %s', async (path) => {
      const response = await post('segment', path, '{}');
      expect(response.status).toBe(400);
      expect(response.json).toMatchObject({ code: 'INVALID_BATCH', errors: [{ path: '$.batch', message: 'must be an array of messages, got nothing' }] });
    });

    it('answers 400 to a batch that is a JSON null or a bare number on /v2/bulkevents', async () => {
      for (const raw of ['null', '7']) {
        const response = await post('mparticle', '/v2/bulkevents', raw);
        expect(response.status).toBe(400);
        expect(response.text).toMatch(/must be an array of batches/);
      }
    });
  });

  describe('2. nesting depth', () => {
    const deep = nestedJson(10_000);
    const cases: Array<[string, Family, string, string]> = [
      ['/v1/track', 'segment', withRaw(track({ properties: '@@' }), deep), '$.properties.a.a'],
      ['/v1/batch', 'segment', withRaw({ batch: [track({ context: '@@' })] }, deep), '$.batch[0].context.a'],
      ['/v2/events', 'mparticle', withRaw(mpBatch({ user_attributes: '@@' }), deep), '$.user_attributes.a'],
      [
        '/v2/bulkevents',
        'mparticle',
        withRaw([mpBatch({ events: [{ event_type: 'custom_event', data: { event_name: 'x', custom_attributes: '@@' } }] })], deep),
        '$[0].events[0].data.custom_attributes.a',
      ],
      ['/admin/v1/rectifications', 'admin', withRaw({ identity_type: 'user_id', identity_value: 'u1', attributes: '@@' }, deep), '$.attributes.a'],
      ['/opendsr/v1/requests', 'opendsr', withRaw(dsrRequest({ extensions: '@@' }), deep), '$.extensions.a'],
    ];

    it.each(cases)('rejects a body nested 10,000 deep on %s with 400 and the JSON path', async (path, family, raw, pathPrefix) => {
      const response = await post(family, path, raw);
      expect(response.status).toBe(400);
      expectErrorShape(family, response.json, 400);
      expect(response.text).toContain(pathPrefix);
      expect(response.text).toMatch(/deeper than 64 levels/);
    });

    it('accepts properties nested exactly to the limit of 64 levels and rejects one level more', async () => {
      // The body is level 1 and properties level 2, so 63 nested objects under it reach level 64.
      const atLimit = await post('segment', '/v1/track', withRaw(track({ messageId: 'depth-64', properties: '@@' }), nestedJson(63)));
      expect(atLimit.status).toBe(200);
      const over = await post('segment', '/v1/track', withRaw(track({ properties: '@@' }), nestedJson(64)));
      expect(over.status).toBe(400);
      expect(over.json.errors[0].path).toBe(`$.properties${'.a'.repeat(63)}`);
      await router.sink.waitFor(() => delivered().some((b) => b.messageId === 'depth-64'));
    });
  });

  describe('3. extreme timestamps', () => {
    const farFuture = '+275760-09-13T00:00:00.000Z';

    it.each(['/v1/track', '/v1/batch'])('rejects an originalTimestamp of %s beyond year 9999 with a sentAt, naming the field', async (path) => {
      const message = track({ originalTimestamp: farFuture, sentAt: new Date().toISOString() });
      const response = await post('segment', path, JSON.stringify(path === '/v1/batch' ? { batch: [message] } : message));
      expect(response.status).toBe(400);
      const at = path === '/v1/batch' ? '$.batch[0].originalTimestamp' : '$.originalTimestamp';
      expect(response.json.errors).toEqual([{ path: at, message: expect.stringMatching(/between 1970-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z/) }]);
    });

    it.each(['timestamp', 'sentAt'])('rejects a Segment %s before 1970', async (field) => {
      const response = await post('segment', '/v1/track', JSON.stringify(track({ [field]: '1969-12-31T23:59:59.999Z' })));
      expect(response.status).toBe(400);
      expect(response.json.errors[0].path).toBe(`$.${field}`);
    });

    it('rejects a batch-level sentAt that is out of range', async () => {
      const response = await post('segment', '/v1/batch', JSON.stringify({ batch: [track()], sentAt: farFuture }));
      expect(response.status).toBe(400);
      expect(response.json.errors[0].path).toBe('$.sentAt');
    });

    it('rejects an mParticle timestamp beyond year 9999', async () => {
      const response = await post(
        'mparticle',
        '/v2/events',
        JSON.stringify(mpBatch({ events: [{ event_type: 'custom_event', data: { event_name: 'x', timestamp_unixtime_ms: 8.64e15 } }] })),
      );
      expect(response.status).toBe(400);
      expect(response.json.errors[0].path).toBe('$.events[0].data.timestamp_unixtime_ms');
    });

    it('clamps a clock-skew correction that would leave the range to its end', async () => {
      const response = await post(
        'segment',
        '/v1/track',
        JSON.stringify(track({ messageId: 'clamped', originalTimestamp: '9999-12-31T00:00:00.000Z', sentAt: '1970-01-01T00:00:00.000Z' })),
      );
      expect(response.status).toBe(200);
      await router.sink.waitFor(() => delivered().some((b) => b.messageId === 'clamped'));
      expect(delivered().find((b) => b.messageId === 'clamped').timestamp).toBe('9999-12-31T23:59:59.999Z');
    });
  });

  describe('4. amplification and bounded work', () => {
    const emptyIdentities = (count: number) => withRaw(dsrRequest({ subject_identities: '@@' }), `[${Array(count).fill('{}').join(',')}]`);

    it('answers 100,000 empty subject_identities (over the 256 KB body limit) with a short 413', async () => {
      const response = await post('opendsr', '/opendsr/v1/requests', emptyIdentities(100_000));
      expect(response.status).toBe(413);
      expectErrorShape('opendsr', response.json, 413);
      expect(response.text).toMatch(/larger than 256 KB/);
    });

    it('answers 80,000 empty subject_identities (under the body limit) with a short 400 that states the cap', async () => {
      const response = await post('opendsr', '/opendsr/v1/requests', emptyIdentities(80_000));
      expect(response.status).toBe(400);
      expectErrorShape('opendsr', response.json, 400);
      expect(response.text.length).toBeLessThan(1024);
      expect(response.json.error.message).toBe('subject_identities: has 80000 items; at most 100 are allowed');
    });

    it('answers 1,000,000 subject_identities without holding up a track sent meanwhile', async () => {
      const [dsr, tracked] = await Promise.all([
        post('opendsr', '/opendsr/v1/requests', emptyIdentities(1_000_000)),
        post('segment', '/v1/track', JSON.stringify(track({ messageId: 'meanwhile' }))),
      ]);
      expect(dsr.status).toBe(413);
      expectErrorShape('opendsr', dsr.json, 413);
      expect(tracked.status).toBe(200);
    });

    it('refuses an mParticle bulk request carrying more than 2,500 events in all', async () => {
      const batch = mpBatch({ events: Array.from({ length: 30 }, () => ({ event_type: 'session_start', data: {} })) });
      const response = await post('mparticle', '/v2/bulkevents', JSON.stringify(Array(100).fill(batch)));
      expect(response.status).toBe(400);
      expect(response.json.errors[0].message).toBe('$: carries 3000 events in all; the limit is 2500 per request, so split it');
    });

    it('lists the first 50 problems of a 2,500-message batch and counts the rest', async () => {
      const response = await post('segment', '/v1/batch', JSON.stringify({ batch: Array.from({ length: 2500 }, () => ({ type: 'track' })) }));
      expect(response.status).toBe(400);
      expect(response.json.errors).toHaveLength(50);
      expect(response.json.message).toMatch(/and 4950 more problems \(5000 in all\)$/);
    });

    it('lists the first 50 problems of an OpenDSR request and counts the rest', async () => {
      const response = await post(
        'opendsr',
        '/opendsr/v1/requests',
        JSON.stringify(dsrRequest({ subject_identities: Array(100).fill({ identity_type: 1, identity_value: 2, identity_format: 3 }) })),
      );
      expect(response.status).toBe(400);
      expect(response.json.error.errors).toHaveLength(50);
      expect(response.json.error.message).toMatch(/more problems \(\d+ in all\)$/);
    });
  });

  describe('5. prototype names', () => {
    it.each(PROTOTYPE_NAMES)('rejects the mParticle event_type %s as unknown', async (name) => {
      const response = await post('mparticle', '/v2/events', JSON.stringify(mpBatch({ events: [{ event_type: name, data: {} }] })));
      expect(response.status).toBe(400);
      expect(response.json.errors[0].path).toBe('$.events[0].event_type');
    });

    it.each(PROTOTYPE_NAMES)('rejects the Segment type %s as unknown', async (name) => {
      const response = await post('segment', '/v1/batch', JSON.stringify({ batch: [track({ type: name })] }));
      expect(response.status).toBe(400);
      expect(response.json.errors[0].path).toBe('$.batch[0].type');
    });

    it('keeps user_identities named like Object.prototype members as plain identity names', async () => {
      const names = PROTOTYPE_NAMES.filter((n) => n !== '__proto__');
      const userIdentities = Object.fromEntries(names.map((n) => [n, `id-${n}`]));
      const response = await post(
        'mparticle',
        '/v2/events',
        JSON.stringify(
          mpBatch({ user_identities: userIdentities, events: [{ event_type: 'custom_event', data: { event_name: 'Proto', source_message_id: 'proto-ids' } }] }),
        ),
      );
      expect(response.status).toBe(202);
      await router.sink.waitFor(() => delivered().some((b) => b.messageId === 'proto-ids'));
      const event = delivered().find((b) => b.messageId === 'proto-ids');
      expect(event.identities).toEqual(userIdentities);
    });

    const protoKeys: Array<[string, Family, string, string]> = [
      ['/v2/events', 'mparticle', '{"user_identities":{"__proto__":"id"},"events":[]}', '$.user_identities.__proto__'],
      ['/v1/track', 'segment', '{"userId":"u1","event":"x","properties":{"__proto__":{"admin":true}}}', '$.properties.__proto__'],
      ['/admin/v1/rectifications', 'admin', '{"identity_type":"user_id","identity_value":"u1","attributes":{"__proto__":{"a":1}}}', '$.attributes.__proto__'],
      ['/opendsr/v1/requests', 'opendsr', withRaw(dsrRequest({ extensions: '@@' }), '{"\\u005f_proto__":{}}'), '$.extensions.__proto__'],
    ];
    it.each(protoKeys)('rejects a __proto__ key on %s with 400 and its path', async (path, family, raw, at) => {
      const response = await post(family, path, raw);
      expect(response.status).toBe(400);
      expectErrorShape(family, response.json, 400);
      expect(response.text).toContain(at);
    });

    it('rejects Object.prototype names as admin and OpenDSR identity types', async () => {
      const admin = await post('admin', '/admin/v1/suppressions', JSON.stringify({ identity_type: 'toString', identity_value: 'x' }));
      expect(admin.status).toBe(400);
      const dsr = await post(
        'opendsr',
        '/opendsr/v1/requests',
        JSON.stringify(dsrRequest({ subject_identities: [{ identity_type: 'constructor', identity_value: 'x', identity_format: 'raw' }] })),
      );
      expect(dsr.status).toBe(400);
    });
  });

  describe('6. credentials never reach a destination', () => {
    it('strips a body writeKey from /v1/track and from /v1/batch and its messages', async () => {
      const single = await router.fixture.send('/v1/track', { ...track({ messageId: 'wk-single' }), writeKey: SECRETS.writeKey }, { auth: null });
      expect(single.status).toBe(200);
      const batch = await router.fixture.send(
        '/v1/batch',
        { writeKey: SECRETS.writeKey, batch: [{ ...track({ messageId: 'wk-batch' }), writeKey: SECRETS.writeKey }] },
        { auth: null },
      );
      expect(batch.status).toBe(200);
      await router.sink.waitFor(() => ['wk-single', 'wk-batch'].every((id) => delivered().some((b) => b.messageId === id)));
      for (const id of ['wk-single', 'wk-batch']) expect(delivered().find((b) => b.messageId === id).raw).not.toHaveProperty('writeKey');
      expect(router.leakedSecrets()).toEqual([]);
    });

    it('forwards nothing of the Basic credentials of Segment and mParticle sources, nor the admin token of a rectification', async () => {
      expect((await post('segment', '/v1/identify', JSON.stringify({ userId: 'u-basic', messageId: 'basic-segment' }))).status).toBe(200);
      expect(
        (
          await post(
            'mparticle',
            '/v2/events',
            JSON.stringify(mpBatch({ events: [{ event_type: 'custom_event', data: { event_name: 'x', source_message_id: 'basic-mparticle' } }] })),
          )
        ).status,
      ).toBe(202);
      const rectified = await post(
        'admin',
        '/admin/v1/rectifications',
        JSON.stringify({ identity_type: 'user_id', identity_value: 'u-rect', attributes: { name: 'Ada' } }),
      );
      expect(rectified.status).toBe(202);
      await router.sink.waitFor(
        () => ['basic-segment', 'basic-mparticle'].every((id) => delivered().some((b) => b.messageId === id)) && delivered().some((b) => b.userId === 'u-rect'),
      );
      expect(router.leakedSecrets()).toEqual([]);
    });
  });

  describe('7. invalid UTF-8', () => {
    // Each sequence is invalid from its first byte on, so the offset is where it starts.
    const invalid: Array<[string, Buffer]> = [
      ['a lone 0xFF byte', Buffer.from([0xff])],
      ['an overlong "/" (C0 AF)', Buffer.from([0xc0, 0xaf])],
      ['an encoded surrogate (ED A0 80)', Buffer.from([0xed, 0xa0, 0x80])],
      ['a truncated sequence (E2 82)', Buffer.from([0xe2, 0x82])],
      ['a code point above U+10FFFF (F4 90 80 80)', Buffer.from([0xf4, 0x90, 0x80, 0x80])],
    ];
    const bodyWith = (bytes: Buffer, route: (typeof POST_ROUTES)[number]) => {
      const text = JSON.stringify(route.body());
      // The bad bytes go inside the first string value, so the rest of the body stays valid JSON.
      const at = text.indexOf('"', text.indexOf(':') + 1) + 1;
      return { raw: Buffer.concat([Buffer.from(text.slice(0, at)), bytes, Buffer.from(text.slice(at))]), offset: Buffer.byteLength(text.slice(0, at)) };
    };

    it.each(invalid)('rejects %s in a body with 400 INVALID_UTF8 and its byte offset', async (_name, bytes) => {
      const route = POST_ROUTES[2]!;
      const { raw, offset } = bodyWith(bytes, route);
      const response = await post(route.family, route.path, raw);
      expect(response.status).toBe(400);
      expect(response.json.code).toBe('INVALID_UTF8');
      expect(response.text).toContain(`not valid UTF-8 at byte ${offset}`);
    });

    it.each(POST_ROUTES.map((r) => [r.path, r] as const))("rejects invalid UTF-8 on %s in the family's error shape", async (_path, route) => {
      const { raw, offset } = bodyWith(Buffer.from([0xff, 0xfe]), route);
      const response = await post(route.family, route.path, raw);
      expect(response.status).toBe(400);
      expectErrorShape(route.family, response.json, 400);
      expect(response.text).toContain(`byte ${offset}`);
    });

    it('rejects invalid UTF-8 inside a gzipped body, counting bytes of the decompressed body', async () => {
      const { raw, offset } = bodyWith(Buffer.from([0xff]), POST_ROUTES[2]!);
      const response = await router.fixture.send('/v1/track', undefined, { auth: SEGMENT_AUTH, raw, gzip: true });
      expect(response.status).toBe(400);
      expect(response.text).toContain(`byte ${offset}`);
    });
  });

  describe('8. trailing slashes', () => {
    it.each(POST_ROUTES.map((r) => [`${r.path}/`, r] as const))('accepts POST %s', async (path, route) => {
      const response = await post(route.family, path, JSON.stringify(route.body()));
      expect(response.status).toBeLessThan(300);
    });

    it('serves OpenDSR discovery with a trailing slash', async () => {
      expect((await router.fixture.send('/opendsr/v1/discovery/', undefined, { method: 'GET' })).status).toBe(200);
    });

    it.each(['/v1/track', '/v1/track/', '/v2/events/'])('answers GET %s with a 405 that does not contradict itself', async (path) => {
      const response = await router.fixture.send(path, undefined, { method: 'GET' });
      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toBe('POST');
      expectErrorShape(familyOf(path), response.json, 405);
      expect(errorMessage(familyOf(path), response.json)).toBe(`GET is not allowed on ${path.replace(/\/$/, '')}; use POST`);
    });
  });
});
