import { Agent } from 'node:http';
import { damage, Dice, envelope, mulberry32, mutate } from '../helpers/hostile-bodies.js';
import { HostileRouter, MPARTICLE_AUTH, MPARTICLE_KEY, SECRETS, SEGMENT_AUTH } from '../helpers/hostile-router.js';
import { dsrRequest, errorShapeProblem, mpBatch, track, type Family } from '../helpers/route-families.js';

// FUZZ_SEED=<n> replays another run; the default keeps `npm test` deterministic.
const SEED = Number(process.env.FUZZ_SEED ?? 20_260_131);
const BODIES_PER_FAMILY = 2500;
const CONCURRENCY = 8;
const MAX_BODY_BYTES = 1024 * 1024;

const now = () => new Date().toISOString();
/** Valid bodies to start from, per family and route. */
const SEEDS: Record<Family, Array<{ path: string; body: () => unknown }>> = {
  segment: [
    {
      path: '/v1/batch',
      body: () => ({
        batch: [track(), { type: 'identify', userId: 'u2', traits: { email: 'a@example.com' } }, { type: 'page', anonymousId: 'a1', name: 'Home' }],
        sentAt: now(),
        context: { ip: '10.0.0.1' },
      }),
    },
    { path: '/v1/import', body: () => ({ batch: [track({ originalTimestamp: now(), sentAt: now() })] }) },
    {
      path: '/v1/track',
      body: () => track({ context: { consent: { categoryPreferences: { Analytics: true } }, device: { id: 'd1' } }, integrations: { All: true } }),
    },
    { path: '/v1/identify', body: () => ({ userId: 'u1', traits: { email: 'u1@example.com', plan: 'pro' } }) },
    { path: '/v1/page', body: () => ({ anonymousId: 'a1', name: 'Home', properties: { url: 'http://x' } }) },
    { path: '/v1/screen', body: () => ({ userId: 'u1', name: 'Main' }) },
    { path: '/v1/group', body: () => ({ userId: 'u1', groupId: 'g1', traits: { size: 3 } }) },
    { path: '/v1/alias', body: () => ({ userId: 'u1', previousId: 'a1' }) },
  ],
  mparticle: [
    {
      path: '/v2/events',
      body: () =>
        mpBatch({
          mpid: '123',
          device_info: { ios_idfv: 'v1', locale_language: 'en' },
          user_attributes: { tier: 'gold' },
          consent_state: { gdpr: { analytics: { consented: true, timestamp_unixtime_ms: Date.now() } }, ccpa: { data_sale_opt_out: { consented: false } } },
          events: [
            { event_type: 'custom_event', data: { event_name: 'Play', custom_attributes: { a: 1 }, timestamp_unixtime_ms: Date.now() } },
            { event_type: 'commerce_event', data: { product_action: { action: 'purchase', total_amount: 3, products: [{ id: 'p' }] } } },
            { event_type: 'screen_view', data: { screen_name: 'Home', location: { latitude: 48.85, longitude: 2.35 } } },
          ],
        }),
    },
    { path: '/v2/bulkevents', body: () => [mpBatch(), mpBatch({ user_identities: { email: 'b@example.com' } })] },
  ],
  admin: [
    { path: '/admin/v1/suppressions', body: () => ({ identity_type: 'email', identity_value: 'fuzz@example.com', reason: 'fuzz' }) },
    {
      path: '/admin/v1/rectifications',
      body: () => ({ identity_type: 'user_id', identity_value: 'u-fuzz', attributes: { last_name: 'Lovelace', nickname: null } }),
    },
    { path: '/admin/v1/dead-letters/replay', body: () => ({ connection: 'hook', ids: [1, 2] }) },
    { path: '/admin/v1/dead-letters/purge', body: () => ({ ids: [3] }) },
  ],
  opendsr: [{ path: '/opendsr/v1/requests', body: () => dsrRequest({ extensions: { 'switchyard.localhost': { suppress: false } } }) }],
};

interface Sent {
  family: Family;
  path: string;
  headers: Record<string, string>;
  raw: Buffer | undefined;
}

/** One hostile request: a mutated valid body, sometimes damaged at the byte level, in a random envelope. */
function hostileRequest(dice: Dice, family: Family): Sent {
  const seed = dice.pick(SEEDS[family]);
  let body = seed.body();
  let text = Buffer.from(JSON.stringify(body));
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const mutated = mutate(dice, body);
    const candidate = Buffer.from(JSON.stringify(mutated) ?? 'null');
    if (candidate.length <= MAX_BODY_BYTES) {
      body = mutated;
      text = candidate;
      break;
    }
  }
  let writeKeyInBody = false;
  if (family === 'segment' && dice.chance(0.15) && body !== null && typeof body === 'object' && !Array.isArray(body)) {
    text = Buffer.from(JSON.stringify({ ...body, writeKey: SECRETS.writeKey }));
    writeKeyInBody = true;
  }
  if (dice.chance(0.3)) text = damage(dice, text);
  const { headers, raw } = envelope(dice, text);
  const auth = dice.int(20);
  if (auth === 0) {
    /* no credentials */
  } else if (auth === 1) {
    headers.authorization =
      family === 'segment' || family === 'mparticle' ? `Basic ${Buffer.from(`${MPARTICLE_KEY}:nope`).toString('base64')}` : 'Bearer not-a-token';
  } else if (family === 'segment') {
    if (!writeKeyInBody) headers.authorization = `Basic ${Buffer.from(SEGMENT_AUTH).toString('base64')}`;
  } else {
    headers.authorization = family === 'mparticle' ? `Basic ${Buffer.from(MPARTICLE_AUTH).toString('base64')}` : `Bearer ${SECRETS.adminToken}`;
  }
  return { family, path: seed.path, headers, raw };
}

/** What is wrong with one answer, if anything: a 5xx, a non-JSON error, an error outside its API's shape. */
function answerProblem(sent: Sent, status: number, text: string): string | undefined {
  if (status >= 500) return `${status} ${text.slice(0, 200)}`;
  if (status >= 200 && status < 300) {
    if (sent.family === 'mparticle') return status === 202 && text === '' ? undefined : `unexpected success answer ${status} ${text.slice(0, 100)}`;
    try {
      JSON.parse(text);
      return undefined;
    } catch {
      return `a success answer that is not JSON: ${text.slice(0, 100)}`;
    }
  }
  if (status < 400) return `unexpected status ${status}`;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return `a ${status} that is not JSON: ${JSON.stringify(text.slice(0, 100))}`;
  }
  const shape = errorShapeProblem(sent.family, json, status);
  return shape && `${status} ${shape}: ${text.slice(0, 200)}`;
}

describe('fuzzing every route family with hostile bodies', () => {
  const router = new HostileRouter();
  beforeAll(async () => {
    await router.start();
  });
  afterAll(async () => {
    await router.close();
  });

  it(`answers ${BODIES_PER_FAMILY} hostile bodies per family (seed ${SEED}) with 2xx or a JSON 4xx, leaks no secret, and still delivers`, async () => {
    const dice = new Dice(mulberry32(SEED));
    const requests = (['segment', 'mparticle', 'admin', 'opendsr'] as const).flatMap((family) =>
      Array.from({ length: BODIES_PER_FAMILY }, () => hostileRequest(dice, family)),
    );
    const problems: string[] = [];
    const answers: string[] = [];
    const statuses = new Map<number, number>();
    const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    let next = 0;
    const worker = async () => {
      while (next < requests.length) {
        const index = next++;
        const sent = requests[index]!;
        try {
          const { status, headers, text } = await router.post(agent, sent.path, sent.headers, sent.raw);
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
          answers.push(`${JSON.stringify(headers)} ${text}`);
          const problem = answerProblem(sent, status, text);
          if (problem) problems.push(`#${index} ${sent.family} ${sent.path}: ${problem}`);
        } catch (error) {
          problems.push(`#${index} ${sent.family} ${sent.path}: no answer (${(error as Error).message})`);
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    agent.destroy();

    expect(problems.slice(0, 20)).toEqual([]);
    // The corpus reaches both sides of the contract: accepted bodies and every kind of refusal of a body.
    expect([...statuses.keys()].filter((s) => s >= 200 && s < 300).length).toBeGreaterThan(0);
    for (const code of [
      'TOO_DEEP',
      'FORBIDDEN_KEY',
      'MALFORMED_JSON',
      'MALFORMED_BODY',
      'EMPTY_BODY',
      'UNSUPPORTED_CONTENT_TYPE',
      'UNSUPPORTED_CONTENT_ENCODING',
      'INVALID_EVENT',
      'INVALID_UTF8',
    ]) {
      expect({ code, seen: answers.some((answer) => answer.includes(`"${code}"`)) }).toEqual({ code, seen: true });
    }

    const after = await router.fixture.send('/v1/track', track({ userId: 'after-fuzz', messageId: `after-fuzz-${SEED}` }), { auth: SEGMENT_AUTH });
    expect(after.status).toBe(200);
    await router.sink.waitFor(() => router.sink.requests.some((r) => (r.body as { messageId?: string }).messageId === `after-fuzz-${SEED}`));
    expect(router.fixture.router.config.secrets).toEqual(expect.arrayContaining(Object.values(SECRETS)));
    expect(router.leakedSecrets(answers)).toEqual([]);
  }, 300_000);
});
