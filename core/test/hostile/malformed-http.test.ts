import { HostileRouter, MPARTICLE_AUTH, rawRequest, SECRETS, SEGMENT_AUTH } from '../helpers/hostile-router.js';
import { expectErrorShape, familyOf } from '../helpers/route-families.js';

const basic = (credentials: string) => `Basic ${Buffer.from(credentials).toString('base64')}`;

/** One route of each family, with the credentials that get a request past authentication. */
const ROUTES: Array<[string, string]> = [
  ['/v1/track', basic(SEGMENT_AUTH)],
  ['/v2/events', basic(MPARTICLE_AUTH)],
  ['/admin/v1/suppressions', `Bearer ${SECRETS.adminToken}`],
  ['/opendsr/v1/requests', `Bearer ${SECRETS.adminToken}`],
  ['/nowhere', ''],
];

const BODY = '{"userId":"u1","event":"x"}';

/** Malformed requests: each builder gets the path and the Authorization value. */
const MALFORMED: Array<[string, (path: string, auth: string) => string, number, RegExp]> = [
  [
    'no Host header',
    (path, auth) => `POST ${path} HTTP/1.1\r\nAuthorization: ${auth}\r\nContent-Type: application/json\r\nContent-Length: ${BODY.length}\r\n\r\n${BODY}`,
    400,
    /Host header/,
  ],
  [
    'an unknown Expect',
    (path, auth) =>
      `POST ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth}\r\nExpect: 200-ok\r\nContent-Type: application/json\r\nContent-Length: ${BODY.length}\r\n\r\n${BODY}`,
    417,
    /100-continue/,
  ],
  [
    'a NUL byte in a header value',
    (path, auth) => `POST ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth}\r\nX-Trace: a\0b\r\nContent-Length: ${BODY.length}\r\n\r\n${BODY}`,
    400,
    /forbids.*NUL/,
  ],
  [
    'a control byte in a header name',
    (path, auth) => `POST ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth}\r\nX\x01Trace: a\r\nContent-Length: ${BODY.length}\r\n\r\n${BODY}`,
    400,
    /forbids/,
  ],
  [
    'Content-Length with Transfer-Encoding',
    (path, auth) =>
      `POST ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth}\r\nContent-Type: application/json\r\nContent-Length: ${BODY.length}\r\nTransfer-Encoding: chunked\r\n\r\n${BODY.length.toString(16)}\r\n${BODY}\r\n0\r\n\r\n`,
    400,
    /never both/,
  ],
  [
    'two Content-Lengths',
    (path, auth) => `POST ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth}\r\nContent-Length: ${BODY.length}\r\nContent-Length: 3\r\n\r\n${BODY}`,
    400,
    /never both/,
  ],
  [
    'a malformed chunk size',
    (path, auth) =>
      `POST ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n${BODY}\r\n0\r\n\r\n`,
    400,
    /chunked body is malformed/,
  ],
  ['an invalid method token', (path) => `P@ST ${path} HTTP/1.1\r\nHost: x\r\n\r\n`, 400, /not valid HTTP\/1\.1/],
  ['an unknown HTTP version', (path) => `POST ${path} HTTP/9.9\r\nHost: x\r\n\r\n`, 400, /not valid HTTP\/1\.1/],
  ['bare LF line endings', (path) => `POST ${path} HTTP/1.1\nHost: x\n\n`, 400, /not valid HTTP\/1\.1/],
  ['headers over 16 KB', (path) => `GET ${path} HTTP/1.1\r\nHost: x\r\nX-Pad: ${'a'.repeat(20_000)}\r\n\r\n`, 431, /larger than 16 KB/],
];

describe('malformed HTTP on raw sockets', () => {
  const router = new HostileRouter();
  beforeAll(async () => {
    await router.start();
  });
  afterAll(async () => {
    await router.close();
  });

  const cases = MALFORMED.flatMap(([what, build, status, message]) => ROUTES.map(([path, auth]) => [what, path, build(path, auth), status, message] as const));

  it.each(cases)("answers %s on %s with a JSON error in the API's shape", async (_what, path, bytes, status, message) => {
    const response = await rawRequest(router.port, bytes);
    expect(response.status).toBe(status);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.json).toBeDefined();
    expectErrorShape(familyOf(path), response.json, status);
    expect(response.body).toMatch(message);
  });

  it('still answers a valid event afterwards', async () => {
    const bytes = `POST /v1/track HTTP/1.1\r\nHost: x\r\nAuthorization: ${basic(SEGMENT_AUTH)}\r\nContent-Type: application/json\r\nContent-Length: ${BODY.length}\r\nConnection: close\r\n\r\n${BODY}`;
    expect(await rawRequest(router.port, bytes)).toMatchObject({ status: 200, json: { success: true } });
  });
});

describe('framework-level errors of the admin and OpenDSR APIs', () => {
  const router = new HostileRouter();
  beforeAll(async () => {
    await router.start();
  });
  afterAll(async () => {
    await router.close();
  });

  const bearer = { authorization: `Bearer ${SECRETS.adminToken}` };
  const json = { ...bearer, 'content-type': 'application/json' };
  const families: Array<[string, string, string]> = [
    ['admin', '/admin/v1/suppressions', '/admin/v1/suppressions/'],
    ['opendsr', '/opendsr/v1/requests', '/opendsr/v1/requests/'],
  ];
  const cases = families.flatMap(
    ([family, post, byId]) =>
      [
        [family, 'malformed JSON', () => router.request('POST', post, { headers: json, raw: '{"identity_type": ' }), 400, /not valid JSON/],
        [
          family,
          'a body over 256 KB',
          () => router.request('POST', post, { headers: json, raw: JSON.stringify({ pad: 'x'.repeat(300 * 1024) }) }),
          413,
          /larger than 256 KB/,
        ],
        [
          family,
          'a wrong content type',
          () => router.request('POST', post, { headers: { ...bearer, 'content-type': 'application/xml' }, raw: '<x/>' }),
          415,
          /application\/xml/,
        ],
        [
          family,
          'an unsupported content encoding',
          () => router.request('POST', post, { headers: { ...json, 'content-encoding': 'zstd' }, raw: '{}' }),
          415,
          /zstd/,
        ],
        [
          family,
          'a path segment over 100 characters',
          () => router.request(family === 'admin' ? 'DELETE' : 'GET', `${byId}${'a'.repeat(200)}`, { headers: bearer }),
          414,
          /longer than 100 characters/,
        ],
        [
          family,
          'a percent-escape that does not decode',
          () => router.request(family === 'admin' ? 'DELETE' : 'GET', `${byId}%zz`, { headers: bearer }),
          400,
          /percent-escape/,
        ],
        [family, 'an unknown route', () => router.request('GET', `${post}/nothing/here`, { headers: bearer }), 404, /no route/],
      ] as const,
  );

  it.each(cases)('answers %s: %s in its error shape', async (family, _what, send, status, message) => {
    const response = await send();
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expectErrorShape(family as 'admin' | 'opendsr', response.json, status);
    expect(response.text).toMatch(message);
  });

  it('signs OpenDSR error answers like every other OpenDSR answer', async () => {
    const response = await router.request('POST', '/opendsr/v1/requests', { headers: json, raw: '{' });
    expect(response.status).toBe(400);
    expect(response.headers.get('x-opendsr-signature')).toEqual(expect.any(String));
  });
});
