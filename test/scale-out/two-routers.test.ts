import { jest } from '@jest/globals';
// @ts-expect-error -- plain ESM helper shared with the benchmarks
import { startCountingSink } from '../helpers/http-sink.mjs';
import { removeNatsQueue, sendBatch, startNatsRouter, TEST_NATS, trackEvents, uniqueStream } from './nats-helpers.js';

jest.setTimeout(180_000);

interface Received {
  messageId: string;
  path: string;
}

const BATCH = 50;
// A slow destination (20 ms per request of at most 10 events, two requests at a time per router) keeps deliveries in
// flight in both routers.
const DELIVERY = { batch: { maxItems: 10, maxWaitMs: 0 }, maxConcurrency: 2, breaker: { volumeThreshold: 100_000 } };

describe('two routers on one NATS stream', () => {
  let stream: string;
  let sink: { url: string; received: Received[]; waitFor: (p: () => boolean, ms: number, what: string) => Promise<void>; close: () => Promise<void> };
  let routers: Array<Awaited<ReturnType<typeof startNatsRouter>>>;

  beforeEach(async () => {
    stream = uniqueStream();
    sink = await startCountingSink({ delayMs: 20 });
    // A short ack wait: a killed router's deliveries move to the other one within seconds.
    routers = await Promise.all(
      ['a', 'b'].map((name) => startNatsRouter({ stream, hookUrl: `${sink.url}/${name}`, ackWaitMs: 2000, delivery: DELIVERY, settings: { batching: true } })),
    );
  });
  afterEach(async () => {
    await Promise.all(routers.map((r) => r.remove()));
    await sink.close();
    await removeNatsQueue([TEST_NATS], stream);
  });

  const deliveredIds = () => new Set(sink.received.map((r) => r.messageId));
  const deliveredBy = (name: string) => sink.received.filter((r) => r.path.endsWith(`/${name}`)).length;

  it('share the deliveries of one connection, and every event accepted by either is delivered at least once', async () => {
    const acked = new Set<string>();
    for (let i = 0; i < 40; i += 1) {
      const events = trackEvents(i * BATCH, (i + 1) * BATCH, 'shared') as Array<{ messageId: string }>;
      expect(await sendBatch(routers[i % 2]!.url, events)).toBe(200);
      for (const e of events) acked.add(e.messageId);
    }
    await sink.waitFor(() => [...acked].every((id) => deliveredIds().has(id)), 60_000, 'every accepted event at the destination');
    // Each router delivered a real share, whichever router accepted the event.
    expect(deliveredBy('a')).toBeGreaterThan(acked.size / 10);
    expect(deliveredBy('b')).toBeGreaterThan(acked.size / 10);
  });

  it('lose nothing when one is killed with SIGKILL mid-stream: the other delivers what it held', async () => {
    const [a, b] = routers as [(typeof routers)[0], (typeof routers)[0]];
    const acked = new Set<string>();
    let killed = false;
    const produce = (async () => {
      for (let i = 0; i < 50; i += 1) {
        const events = trackEvents(i * BATCH, (i + 1) * BATCH, 'kill') as Array<{ messageId: string }>;
        const target = i % 2 === 0 && !killed ? a : b;
        const status = await sendBatch(target.url, events).catch(() => 0);
        if (status === 200) for (const e of events) acked.add(e.messageId);
      }
    })();
    await sink.waitFor(() => deliveredBy('a') >= 300, 60_000, 'router a delivering');
    process.kill(a.pid, 'SIGKILL');
    killed = true;
    const deliveredByAAtKill = deliveredBy('a');
    await produce;
    expect(acked.size).toBeGreaterThan(1250);

    await sink
      .waitFor(() => [...acked].every((id) => deliveredIds().has(id)), 120_000, 'every accepted event at the destination after the kill')
      .catch((error: Error) => {
        const missing = [...acked].filter((id) => !deliveredIds().has(id));
        const last = sink.received.at(-1) as (Received & { at: number }) | undefined;
        throw new Error(
          `${error.message}: ${missing.length} of ${acked.size} missing (${missing.slice(0, 5).join(', ')}); last delivery ${last ? Date.now() - last.at : '-'} ms ago; router b said:\n${b.output().slice(-1500)}`,
        );
      });
    // Nothing reached the destination through the dead router afterwards (its requests in flight at the kill may still land).
    expect(deliveredBy('a')).toBeLessThanOrEqual(deliveredByAAtKill + DELIVERY.batch.maxItems * DELIVERY.maxConcurrency);
    expect(deliveredBy('b')).toBeGreaterThan(0);
  });
});
