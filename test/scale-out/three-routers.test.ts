import { jest } from '@jest/globals';
// @ts-expect-error -- plain ESM helper shared with the benchmarks
import { startCountingSink } from '../helpers/http-sink.mjs';
import { ADMIN_TOKEN, removeNatsQueue, sendBatch, startNatsRouter, TEST_NATS, trackEvents, uniqueStream, type NatsRouter } from './nats-helpers.js';

jest.setTimeout(240_000);

interface Received {
  messageId: string;
  path: string;
  at: number;
}
interface CountingSink {
  url: string;
  received: Received[];
  waitFor: (p: () => boolean, ms: number, what: string) => Promise<void>;
  close: () => Promise<void>;
}

const BATCH = 50;
const NAMES = ['a', 'b', 'c'] as const;
// A slow destination (10 ms per request of at most 10 events, two at a time per router) keeps deliveries in flight in
// every router while events keep arriving.
const DELIVERY = { batch: { maxItems: 10, maxWaitMs: 0 }, maxConcurrency: 2, breaker: { volumeThreshold: 100_000 } };

describe('three routers on one NATS stream', () => {
  let stream: string;
  let sink: CountingSink;
  let routers: NatsRouter[] = [];

  const start = (ackWaitMs: number) =>
    Promise.all(NAMES.map((name) => startNatsRouter({ stream, hookUrl: `${sink.url}/${name}`, ackWaitMs, delivery: DELIVERY, settings: { batching: true } })));
  const deliveredIds = () => new Set(sink.received.map((r) => r.messageId));
  const deliveredBy = (name: string) => sink.received.filter((r) => r.path.endsWith(`/${name}`)).length;
  const missingOf = (acked: Set<string>) => [...acked].filter((id) => !deliveredIds().has(id));
  /** What the sink and the routers say, for a failed wait. */
  const diagnose = async (error: Error, acked: Set<string>) => {
    const missing = missingOf(acked);
    const last = sink.received.at(-1);
    const depth = await Promise.all(
      routers.map((r) =>
        fetch(`${r.url}/admin/v1/connections`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
          .then((x) => x.json())
          .then((x: any) => JSON.stringify(x.connections?.hook))
          .catch(() => 'gone'),
      ),
    );
    return new Error(
      `${error.message}: ${missing.length} of ${acked.size} missing (${missing.slice(0, 5).join(', ')}); last delivery ${last ? Date.now() - last.at : '-'} ms ago; ` +
        `delivered by ${NAMES.map((n) => `${n} ${deliveredBy(n)}`).join(', ')}; connections: ${depth.join(' | ')}`,
    );
  };
  /** Sends `batches` batches round-robin to the routers `to()` names, four requests at a time; the ids accepted. */
  const produce = async (batches: number, prefix: string, to: (i: number) => NatsRouter) => {
    const acked = new Set<string>();
    let next = 0;
    await Promise.all(
      [0, 1, 2, 3].map(async () => {
        for (let i = next++; i < batches; i = next++) {
          const events = trackEvents(i * BATCH, (i + 1) * BATCH, prefix) as Array<{ messageId: string }>;
          const status = await sendBatch(to(i).url, events).catch(() => 0);
          if (status === 200) for (const e of events) acked.add(e.messageId);
        }
      }),
    );
    return acked;
  };

  beforeEach(async () => {
    stream = uniqueStream();
    sink = (await startCountingSink({ delayMs: 10 })) as CountingSink;
  });
  afterEach(async () => {
    await Promise.all(routers.map((r) => r.remove()));
    routers = [];
    await sink.close();
    await removeNatsQueue([TEST_NATS], stream);
  });

  // A delivery a router pulled and then lost track of waits out the consumer's ack wait (120 s here) before another
  // router gets it: waiting for less than half of that tells the two apart.
  it('deliver every event sent to any of them, sharing the work, without any delivery waiting out the ack wait', async () => {
    const ACK_WAIT_MS = 120_000;
    routers = await start(ACK_WAIT_MS);
    const acked = await produce(21, 'three', (i) => routers[i % 3]!);
    expect(acked.size).toBe(21 * BATCH);
    await sink
      .waitFor(() => missingOf(acked).length === 0, ACK_WAIT_MS / 2, 'every accepted event at the destination')
      .catch(async (error: Error) => {
        throw await diagnose(error, acked);
      });
    for (const name of NAMES) expect(deliveredBy(name)).toBeGreaterThan(0);
    expect(NAMES.filter((name) => deliveredBy(name) > acked.size / 10).length).toBeGreaterThan(1);
  });

  it('lose nothing when one of them is killed with SIGKILL mid-stream: the other two deliver what it held', async () => {
    routers = await start(2000);
    const [a, b, c] = routers as [NatsRouter, NatsRouter, NatsRouter];
    let killed = false;
    const producing = produce(30, 'kill', (i) => (i % 3 === 0 && !killed ? a : i % 3 === 1 ? b : c));
    await sink.waitFor(() => deliveredBy('a') >= 100, 60_000, 'router a delivering');
    process.kill(a.pid, 'SIGKILL');
    killed = true;
    const deliveredByAAtKill = deliveredBy('a');
    const acked = await producing;
    expect(acked.size).toBeGreaterThan(20 * BATCH);

    await sink
      .waitFor(() => missingOf(acked).length === 0, 90_000, 'every accepted event at the destination after the kill')
      .catch(async (error: Error) => {
        throw await diagnose(error, acked);
      });
    // Requests the dead router had in flight at the kill may still land; nothing after.
    expect(deliveredBy('a')).toBeLessThanOrEqual(deliveredByAAtKill + DELIVERY.batch.maxItems * DELIVERY.maxConcurrency);
    expect(deliveredBy('b')).toBeGreaterThan(0);
    expect(deliveredBy('c')).toBeGreaterThan(0);
  });
});
