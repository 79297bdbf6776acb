import { HttpSink } from '../helpers/http-sink.js';
import { RouterFixture } from '../helpers/router.js';

const SEGMENT = 'wk_web:';
const MPARTICLE = 'mp_key:mp_secret';
const track = (overrides: Record<string, unknown> = {}) => ({ type: 'track', userId: 'u1', event: 'Clicked', properties: { a: 1 }, ...overrides });
const mpBatch = (overrides: Record<string, unknown> = {}) => ({
  user_identities: { customer_id: 'c1' },
  events: [{ event_type: 'custom_event', data: { event_name: 'Play' } }],
  ...overrides,
});

describe('bad input at the ingestion endpoints', () => {
  let sink: HttpSink;
  let fixture: RouterFixture;

  beforeAll(async () => {
    sink = await new HttpSink().start();
    fixture = await new RouterFixture({
      sources: [
        { id: 'web', type: 'segment', writeKey: 'wk_web' },
        { id: 'app', type: 'mparticle', apiKey: 'mp_key', apiSecret: 'mp_secret' },
      ],
      connections: [{ id: 'hook', connector: 'webhook', settings: { url: `${sink.url}/hook` } }],
    }).start();
  });
  afterAll(async () => {
    await fixture.close();
    await sink.stop();
  });

  afterEach(async () => {
    // Every rejection leaves the server healthy and stores nothing.
    expect((await fixture.send('/health', undefined, { method: 'GET' })).status).toBe(200);
    expect(await fixture.router.queue.depth()).toEqual({});
  });

  const cases: Array<[string, () => Promise<{ status: number; json: any }>, number, RegExp]> = [
    ['malformed JSON', () => fixture.send('/v1/batch', undefined, { auth: SEGMENT, raw: '{"batch": [' }), 400, /not valid JSON/],
    [
      'a wrong content type',
      () => fixture.send('/v1/track', undefined, { auth: SEGMENT, raw: '<xml/>', headers: { 'content-type': 'application/xml' } }),
      415,
      /application\/xml.*application\/json/,
    ],
    ['an empty body', () => fixture.send('/v1/track', undefined, { auth: SEGMENT, raw: '' }), 400, /empty/],
    [
      'a message over 32 KB',
      () => fixture.send('/v1/batch', { batch: [track({ properties: { blob: 'x'.repeat(40_000) } })] }, { auth: SEGMENT }),
      400,
      /\$\.batch\[0\]: the message is 40 KB; the limit is 32 KB/,
    ],
    [
      'a request over 500 KB',
      () => fixture.send('/v1/batch', { batch: Array.from({ length: 30 }, () => track({ properties: { blob: 'x'.repeat(20_000) } })) }, { auth: SEGMENT }),
      400,
      /larger than 500 KB/,
    ],
    [
      'a 10,000-message Segment batch',
      () => fixture.send('/v1/batch', { batch: Array.from({ length: 10_000 }, () => ({ userId: 'u' })) }, { auth: SEGMENT }),
      400,
      /10000 messages; the limit is 2500/,
    ],
    [
      'a 10,000-batch mParticle bulk request',
      () =>
        fixture.send(
          '/v2/bulkevents',
          Array.from({ length: 10_000 }, () => ({})),
          { auth: MPARTICLE },
        ),
      400,
      /10000 batches; the limit is 100/,
    ],
    [
      'a message without userId or anonymousId',
      () => fixture.send('/v1/batch', { batch: [track(), track({ userId: undefined })] }, { auth: SEGMENT }),
      400,
      /\$\.batch\[1\]\.userId: every message needs a userId or an anonymousId/,
    ],
    [
      'a track without an event name',
      () => fixture.send('/v1/track', { userId: 'u1' }, { auth: SEGMENT }),
      400,
      /\$\.event: track messages need an event name/,
    ],
    [
      'properties of the wrong type',
      () => fixture.send('/v1/batch', { batch: [track({ properties: 'cheap' })] }, { auth: SEGMENT }),
      400,
      /\$\.batch\[0\]\.properties: must be an object, got string/,
    ],
    [
      'a userId of the wrong type',
      () => fixture.send('/v1/identify', { userId: { id: 1 } }, { auth: SEGMENT }),
      400,
      /\$\.userId: must be a string or a number, got an object/,
    ],
    ['a bad timestamp', () => fixture.send('/v1/track', track({ timestamp: 'yesterday' }), { auth: SEGMENT }), 400, /\$\.timestamp: must be an ISO-8601 date/],
    [
      'an unknown message type in a batch',
      () => fixture.send('/v1/batch', { batch: [track({ type: 'purchase' })] }, { auth: SEGMENT }),
      400,
      /\$\.batch\[0\]\.type: must be one of track/,
    ],
    ['a missing write key', () => fixture.send('/v1/track', track(), { auth: null }), 401, /write key/],
    ['a wrong write key', () => fixture.send('/v1/track', track(), { auth: 'nope:' }), 403, /does not belong/],
    [
      'a gzip bomb',
      () => fixture.send('/v1/batch', undefined, { auth: SEGMENT, gzip: true, raw: Buffer.alloc(64 * 1024 * 1024, 0x20) }),
      400,
      /larger than 500 KB once decompressed/,
    ],
    [
      'corrupt gzip',
      () => fixture.send('/v1/batch', undefined, { auth: SEGMENT, raw: 'not gzip at all', headers: { 'content-encoding': 'gzip' } }),
      400,
      /not valid gzip/,
    ],
    ['missing mParticle credentials', () => fixture.send('/v2/events', mpBatch(), { auth: null }), 401, /Basic auth/],
    ['a wrong mParticle secret', () => fixture.send('/v2/events', mpBatch(), { auth: 'mp_key:wrong' }), 403, /do not match/],
    [
      'an unknown mParticle event_type',
      () => fixture.send('/v2/events', mpBatch({ events: [{ event_type: 'party', data: {} }] }), { auth: MPARTICLE }),
      400,
      /\$\.events\[0\]\.event_type: must be one of/,
    ],
    ['a non-numeric mpid', () => fixture.send('/v2/events', mpBatch({ mpid: 'abc' }), { auth: MPARTICLE }), 400, /\$\.mpid: must be an integer/],
    [
      'consent that is not a boolean',
      () => fixture.send('/v2/events', mpBatch({ consent_state: { gdpr: { analytics: { consented: 'yes' } } } }), { auth: MPARTICLE }),
      400,
      /consent_state\.gdpr\.analytics\.consented: must be true or false/,
    ],
    ['a batch with no identity', () => fixture.send('/v2/events', mpBatch({ user_identities: {} }), { auth: MPARTICLE }), 400, /at least one user identity/],
    ['an array sent to /v2/events', () => fixture.send('/v2/events', [mpBatch()], { auth: MPARTICLE }), 400, /bulkevents/],
  ];

  it.each(cases)('rejects %s with a clear 4xx', async (_name, send, status, message) => {
    const response = await send();
    expect(response.status).toBe(status);
    const text = JSON.stringify(response.json);
    expect(text).toMatch(message);
  });

  it('answers mParticle errors in the Events API error shape', async () => {
    const response = await fixture.send('/v2/events', mpBatch({ mpid: 'abc' }), { auth: MPARTICLE });
    expect(response.json).toEqual({ errors: [expect.objectContaining({ code: 'BAD_REQUEST', message: expect.stringContaining('$.mpid') })] });
  });

  it('rejects a whole batch when one message is bad, writing nothing', async () => {
    const response = await fixture.send('/v1/batch', { batch: [track({ messageId: 'good-1' }), track({ event: '' })] }, { auth: SEGMENT });
    expect(response.status).toBe(400);
    expect(response.json.errors).toEqual([{ path: '$.batch[1].event', message: 'track messages need an event name' }]);
  });

  it('answers 404 for unknown routes and 405 for wrong methods', async () => {
    const unknown = await fixture.send('/v1/purchase', track(), { auth: SEGMENT });
    expect(unknown.status).toBe(404);
    expect(unknown.json.code).toBe('NOT_FOUND');
    const wrongMethod = await fixture.send('/v1/batch', undefined, { method: 'GET' });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('POST');
  });

  it('still accepts and delivers good events after all of the above', async () => {
    const response = await fixture.send('/v1/batch', { batch: [track({ messageId: 'after-abuse' })] }, { auth: SEGMENT, gzip: true });
    expect(response).toMatchObject({ status: 200, json: { success: true } });
    await sink.waitFor(() => sink.messageIds().includes('after-abuse'));
    await fixture.drained();
    expect(sink.requests.every((r) => (r.body as { messageId: string }).messageId === 'after-abuse')).toBe(true);
  });
});
