import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { NatsDeliveryQueue } from '../../src/queue/nats/nats-delivery-queue.js';
import { removeNatsQueue } from '../../src/queue/nats/nats-link.js';
import type { QueuedDelivery } from '../../src/types.js';
import { acceptedEvent, TEST_NATS, uniqueStreamName } from './queue-implementations.js';

const LEASING_PROCESS = fileURLToPath(new URL('./fixtures/leasing-process.mjs', import.meta.url));
const SHARING_PROCESS = fileURLToPath(new URL('./fixtures/sharing-process.mjs', import.meta.url));
const later = () => Date.now() + 60_000;

/** Leases until `count` deliveries came back or the deadline passed (redeliveries arrive when JetStream decides). */
async function leaseUntil(queue: NatsDeliveryQueue, count: number, timeoutMs = 15_000): Promise<QueuedDelivery[]> {
  const got: QueuedDelivery[] = [];
  const deadline = Date.now() + timeoutMs;
  while (got.length < count && Date.now() < deadline) {
    got.push(...(await queue.lease('hook', count - got.length, later())));
    if (got.length < count) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return got;
}

/** Three router processes that each enqueue `perRouter` events and lease from the shared consumer; the ids they leased. */
async function shareUnderLoad(stream: string, perRouter: number): Promise<{ leased: string[]; expected: number }> {
  const leased: string[] = [];
  let enqueued = 0;
  let lastLeaseAt = Date.now();
  const children = ['a', 'b', 'c'].map((name) => {
    const child = spawn(process.execPath, [SHARING_PROCESS, TEST_NATS, stream, name, String(perRouter)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let rest = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      const lines = (rest + chunk.toString()).split('\n');
      rest = lines.pop()!;
      for (const line of lines) {
        if (line === 'ENQUEUED') enqueued += 1;
        else if (line.startsWith('LEASED ')) {
          leased.push(...line.slice(7).split(' '));
          lastLeaseAt = Date.now();
        }
      }
    });
    return { child, exited: new Promise((resolve) => child.once('exit', resolve)) };
  });
  const expected = 3 * perRouter;
  // Done when every event was leased, or nothing was leased for 10 s after all were enqueued (the ack wait is 120 s).
  while (leased.length < expected && !(enqueued === 3 && Date.now() - lastLeaseAt > 10_000)) await new Promise((resolve) => setTimeout(resolve, 50));
  for (const { child } of children) child.kill('SIGTERM');
  await Promise.all(children.map((c) => c.exited));
  return { leased, expected };
}

describe('NatsDeliveryQueue: routers sharing one stream', () => {
  let stream: string;
  const queues: NatsDeliveryQueue[] = [];
  const open = async (ackWaitMs = 1000) => {
    const queue = await NatsDeliveryQueue.open({ servers: [TEST_NATS], stream, ackWaitMs });
    queues.push(queue);
    return queue;
  };
  beforeEach(() => {
    stream = uniqueStreamName();
  });
  afterEach(async () => {
    await Promise.all(queues.splice(0).map((q) => q.close()));
    await removeNatsQueue([TEST_NATS], stream);
  });

  it('never hands one delivery to two routers at once; together they get all of them', async () => {
    const [a, b] = [await open(), await open()];
    await a.enqueue(Array.from({ length: 20 }, (_, i) => acceptedEvent({ messageId: `shared-${i}` })));
    const fromA = await a.lease('hook', 7, later());
    const fromB = await b.lease('hook', 100, later());
    expect(fromA).toHaveLength(7);
    expect(fromB).toHaveLength(13);
    expect(new Set([...fromA, ...fromB].map((d) => d.messageId)).size).toBe(20);
    expect(await a.depth()).toEqual({ hook: 20 });
    await b.complete(fromB.map((d) => d.id));
    expect(await a.depth()).toEqual({ hook: 7 });
  });

  it("gives a killed router's deliveries to another after the ack wait, with the attempts it recorded", async () => {
    const survivor = await open();
    await survivor.enqueue(['k1', 'k2', 'k3'].map((messageId) => acceptedEvent({ messageId })));
    const child = spawn(process.execPath, [LEASING_PROCESS, TEST_NATS, stream, '3'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const leased = await new Promise<number[]>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /LEASED (\[.*\])/.exec(out);
        if (match) resolve(JSON.parse(match[1]!) as number[]);
      });
      child.once('exit', () => reject(new Error(`the leasing process exited: ${out}`)));
    });
    expect(leased).toHaveLength(3);
    expect(await survivor.lease('hook', 10, later())).toEqual([]);

    child.kill('SIGKILL');
    await exited;
    const moved = await leaseUntil(survivor, 3);
    expect(moved.map((d) => d.id).sort()).toEqual([...leased].sort());
    expect(moved.find((d) => d.id === leased[0])).toMatchObject({ attempts: 3 });
    expect(moved.filter((d) => d.id !== leased[0]).map((d) => d.attempts)).toEqual([0, 0]);
  });

  it('hands back deliveries a router pulled ahead but never leased (its breaker opened), for the others', async () => {
    const [a, b] = [await open(), await open()];
    await a.enqueue(Array.from({ length: 5 }, () => acceptedEvent()));
    expect(await a.countReady('hook', later(), 5)).toBe(5);
    expect(await b.lease('hook', 5, later())).toEqual([]);
    expect(await leaseUntil(b, 5)).toHaveLength(5);
  });

  it('sends a retry due beyond the hold window back to JetStream, which hands it out when due with its attempts', async () => {
    const [a, b] = [await open(), await open()];
    await a.enqueue([acceptedEvent({ messageId: 'late' })]);
    const [item] = await a.lease('hook', 1, later());
    const dueAt = Date.now() + 10_500;
    await a.reschedule([{ id: item!.id, attempts: 2, nextAttemptAt: dueAt, error: { status: 'retryable', code: 'HTTP_429' } }]);
    expect(await a.nextDueAt('hook')).toBeUndefined();
    expect(await a.depth()).toEqual({ hook: 1 });
    const [back] = await leaseUntil(b, 1, 20_000);
    expect(Date.now()).toBeGreaterThanOrEqual(dueAt - 50);
    expect(back).toMatchObject({ id: item!.id, messageId: 'late', attempts: 2 });
  }, 30_000);

  // Redelivered messages all say "nothing new pending"; nats.js's no_wait fetch stopped listening at the first
  // one it had read when the rest of the batch was still on the wire, so JetStream counted those as delivered to
  // this router and held them for the whole ack wait (20 s here) before anyone got them.
  it('hands out every delivery a closed router gave back, in pulls larger than one socket read, without waiting for the ack wait', async () => {
    const [a, b] = [await open(20_000), await open(20_000)];
    const pad = 'x'.repeat(1000);
    await a.enqueue(Array.from({ length: 300 }, (_, i) => acceptedEvent({ messageId: `back-${i}`, body: JSON.stringify({ messageId: `back-${i}`, pad }) })));
    expect(await leaseUntil(a, 300)).toHaveLength(300);
    await a.close();
    queues.splice(queues.indexOf(a), 1);
    const moved = new Set<string>();
    const deadline = Date.now() + 10_000;
    while (moved.size < 300 && Date.now() < deadline) {
      const items = await b.lease('hook', 100, later());
      for (const item of items) moved.add(item.messageId);
      await b.complete(items.map((d) => d.id));
    }
    expect(moved.size).toBe(300);
  }, 30_000);

  it('a closed router hands its deliveries back at once', async () => {
    const [a, b] = [await open(), await open()];
    await a.enqueue([acceptedEvent({ messageId: 'x' })]);
    expect(await a.lease('hook', 1, later())).toHaveLength(1);
    await a.close();
    queues.splice(queues.indexOf(a), 1);
    expect((await leaseUntil(b, 1, 500)).map((d) => d.messageId)).toEqual(['x']);
  });

  it('hands every delivery out at once to routers pulling while others publish, none held back until the ack wait', async () => {
    // JetStream sends what a pull asks for as it arrives: a router that stopped listening early left those deliveries
    // assigned to itself, unseen, until the consumer's ack wait ran out. The window is narrow, so several rounds.
    for (let round = 0; round < 4; round += 1) {
      const roundStream = `${stream}_${round}`;
      try {
        const { leased, expected } = await shareUnderLoad(roundStream, 2_000);
        expect({ round, leased: leased.length, distinct: new Set(leased).size }).toEqual({ round, leased: expected, distinct: expected });
      } finally {
        await removeNatsQueue([TEST_NATS], roundStream);
      }
    }
  }, 240_000);
});
