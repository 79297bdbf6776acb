import { jest } from '@jest/globals';
import { createServer as createNetServer } from 'node:net';
import { RecordingSink } from '../helpers/recording-sink.js';
import { ADMIN_TOKEN, cli, eventually, removeNatsQueue, sendBatch, startNatsRouter, TEST_NATS, trackEvents, uniqueStream } from './nats-helpers.js';

/** A loopback port nobody listens on: taken, then released. */
async function closedPort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

jest.setTimeout(120_000);

describe('a router on the NATS JetStream queue', () => {
  let stream: string;
  // /flaky answers 503 to each event's first attempt; /broken answers 422 until told otherwise.
  const attempts = new Map<string, number>();
  let brokenAnswer = 422;
  const sink = new RecordingSink((r) => {
    const id = String(r.body?.messageId ?? r.body?.batch?.[0]?.messageId);
    attempts.set(id, (attempts.get(id) ?? 0) + 1);
    if (r.path.startsWith('/flaky')) return attempts.get(id) === 1 ? { status: 503, body: {} } : { status: 200, body: {} };
    return { status: brokenAnswer, body: {} };
  });
  let router: Awaited<ReturnType<typeof startNatsRouter>>;

  beforeAll(async () => {
    await sink.start();
  });
  beforeEach(() => {
    stream = uniqueStream();
  });
  afterEach(async () => {
    await router?.remove();
    await removeNatsQueue([TEST_NATS], stream);
  });
  afterAll(async () => {
    await sink.stop();
  });

  it('acknowledges events, retries a 503 after its backoff and delivers every event', async () => {
    router = await startNatsRouter({
      stream,
      hookUrl: `${sink.url}/flaky`,
      // The breaker stays closed: this case is about retries, not about pausing a failing destination.
      delivery: { batch: { maxItems: 1 }, retry: { baseDelayMs: 200, maxDelayMs: 400 }, breaker: { volumeThreshold: 1000 } },
    });
    expect(await sendBatch(router.url, trackEvents(0, 20, 'flaky'))).toBe(200);
    const delivered = () => [...attempts].filter(([id, n]) => id.startsWith('flaky-') && n >= 2).length;
    await sink.waitFor(() => delivered() >= 20, 'every event delivered on its second attempt');
    expect([...attempts.entries()].filter(([id, n]) => id.startsWith('flaky-') && n !== 2)).toEqual([]);
    const ready = await fetch(`${router.url}/ready`);
    expect(ready.status).toBe(200);
  });

  it('dead-letters a 422, lists, replays and purges dead letters through the CLI', async () => {
    router = await startNatsRouter({ stream, hookUrl: `${sink.url}/broken`, delivery: { batch: { maxItems: 1 } } });
    const admin = ['--url', router.url, '--token', ADMIN_TOKEN];
    expect(await sendBatch(router.url, trackEvents(0, 3, 'dead'))).toBe(200);
    const listed = await eventually(
      () => cli(['dead-letters', 'list', '--connection', 'hook', ...admin]),
      (r) => ['dead-0', 'dead-1', 'dead-2'].every((id) => r.stdout.includes(id)),
      'three dead letters',
    );
    expect(listed.stdout).toMatch(/\d+\s+hook\s+\S+\s+1\s+track Scaled\s+dead-0\s+422/);

    brokenAnswer = 200;
    const ids = (await eventually(
      () => fetch(`${router.url}/admin/v1/dead-letters?connection=hook`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }).then((r) => r.json()),
      (body: { deadLetters?: unknown[] }) => (body.deadLetters?.length ?? 0) === 3,
      'the dead letters over the admin API',
    )) as { deadLetters: Array<{ id: number; messageId: string }> };
    const first = ids.deadLetters.find((d) => d.messageId === 'dead-0')!;
    const replayed = await cli(['dead-letters', 'replay', '--ids', String(first.id), ...admin]);
    expect(replayed).toMatchObject({ code: 0, stdout: expect.stringMatching(/^replayed 1,/) });
    await sink.waitFor(
      () => sink.requests.some((r) => r.path.startsWith('/broken') && r.body?.messageId === 'dead-0' && attempts.get('dead-0') === 2),
      'the replayed event',
    );

    const purged = await cli(['dead-letters', 'purge', '--connection', 'hook', ...admin]);
    expect(purged).toMatchObject({ code: 0, stdout: expect.stringMatching(/2/) });
    const empty = await cli(['dead-letters', 'list', '--connection', 'hook', ...admin]);
    expect(empty.stdout).toBe('no dead letters for connection hook\n');
  });

  it('answers 503 to ingestion and says why in /ready while NATS cannot be reached', async () => {
    const port = await closedPort();
    router = await startNatsRouter({ stream, hookUrl: `${sink.url}/flaky`, servers: [`nats://127.0.0.1:${port}`] });
    const response = await fetch(`${router.url}/v1/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from('wk_nats:').toString('base64')}` },
      body: JSON.stringify({ batch: trackEvents(0, 2, 'unstored') }),
    });
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ code: 'NOT_STORED' });
    const ready = await fetch(`${router.url}/ready`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { problems: string[] }).problems.join('\n')).toMatch(new RegExp(`cannot reach NATS JetStream at nats://127.0.0.1:${port}`));
    expect(sink.requests.some((r) => String(r.body?.messageId).startsWith('unstored'))).toBe(false);
  });
});
