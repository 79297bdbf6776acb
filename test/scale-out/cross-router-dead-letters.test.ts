import { jest } from '@jest/globals';
import { RecordingSink } from '../helpers/recording-sink.js';
import {
  ADMIN_TOKEN,
  cli,
  eventually,
  removeNatsQueue,
  sendBatch,
  startNatsRouter,
  TEST_NATS,
  trackEvents,
  uniqueStream,
  type NatsRouter,
} from './nats-helpers.js';

jest.setTimeout(150_000);

describe('dead letters shared by two routers on one NATS stream', () => {
  const stream = uniqueStream();
  /** Answered 422 at /b (router B's requests), 200 everywhere once `fixed`. */
  let fixed = false;
  const sink = new RecordingSink((r) => (r.path.startsWith('/b') && !fixed ? { status: 422, body: { error: 'unknown field' } } : { status: 200, body: {} }));
  let a: NatsRouter;
  let b: NatsRouter;

  beforeAll(async () => {
    await sink.start();
    // Router A starts once B has dead-lettered the events, so B handled every one of them.
    b = await startNatsRouter({ stream, hookUrl: `${sink.url}/b`, delivery: { batch: { maxItems: 1 } } });
  });
  afterAll(async () => {
    await Promise.all([a?.remove(), b?.remove()]);
    await sink.stop();
    await removeNatsQueue([TEST_NATS], stream);
  });

  const letters = (router: NatsRouter) =>
    fetch(`${router.url}/admin/v1/dead-letters?connection=hook`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }).then(
      (r) => r.json() as Promise<{ deadLetters: Array<{ id: number; messageId: string; error: { httpStatus?: number } }> }>,
    );

  it("lists, replays and purges through router A's CLI the 422s dead-lettered while router B handled them", async () => {
    expect(await sendBatch(b.url, trackEvents(0, 3, 'crossdead'))).toBe(200);
    const ids = ['crossdead-0', 'crossdead-1', 'crossdead-2'];
    await eventually(
      () => letters(b),
      (body) => body.deadLetters.length === 3,
      "router B's three dead letters",
    );
    a = await startNatsRouter({ stream, hookUrl: `${sink.url}/a`, delivery: { batch: { maxItems: 1 } } });
    const admin = ['--url', a.url, '--token', ADMIN_TOKEN];

    const listed = await letters(a);
    expect(listed.deadLetters.map((d) => d.messageId).sort()).toEqual(ids);
    expect(listed.deadLetters.every((d) => d.error.httpStatus === 422)).toBe(true);
    const shown = await cli(['dead-letters', 'list', '--connection', 'hook', ...admin]);
    for (const id of ids) expect(shown.stdout).toMatch(new RegExp(`\\d+\\s+hook\\s+\\S+\\s+1\\s+track Scaled\\s+${id}\\s+422`));
    expect(sink.requests.filter((r) => r.path.startsWith('/a'))).toEqual([]);

    fixed = true;
    const first = listed.deadLetters[0]!;
    const before = sink.requests.filter((r) => r.body?.messageId === first.messageId).length;
    expect(await cli(['dead-letters', 'replay', '--ids', String(first.id), ...admin])).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^replayed 1,/),
    });
    await sink.waitFor(() => sink.requests.filter((r) => r.body?.messageId === first.messageId).length > before, 'the replayed event delivered');
    expect((await letters(b)).deadLetters.map((d) => d.messageId).sort()).toEqual(ids.filter((id) => id !== first.messageId));

    expect(await cli(['dead-letters', 'purge', '--connection', 'hook', ...admin])).toMatchObject({ code: 0, stdout: expect.stringMatching(/\b2\b/) });
    expect((await cli(['dead-letters', 'list', '--connection', 'hook', ...admin])).stdout).toBe('no dead letters for connection hook\n');
    expect((await letters(b)).deadLetters).toEqual([]);
  });
});
