import type { CapturedRequest } from '../helpers/http-sink.js';
import { accepted, trackEvent } from '../helpers/events.js';
import { useSinkAndRuntime } from '../helpers/runtime.js';

/** Requests the sink holds open, the most it held at once. */
interface Overlap {
  open: number;
  peak: number;
}

/**
 * Holds each request until `target` are open at once (then answers them all), so the peak shows how far the
 * runtime overlaps; a request still waits at most `fallbackMs`, so a runtime that never reaches the target
 * still finishes and the test reports its peak.
 */
function holdUntilOverlapping(target: number, answer: (request: CapturedRequest) => number = () => 200, fallbackMs = 400) {
  const overlap: Overlap = { open: 0, peak: 0 };
  let waiting: Array<() => void> = [];
  const responder = (request: CapturedRequest) =>
    new Promise<{ status: number; body: unknown }>((resolve) => {
      overlap.open += 1;
      overlap.peak = Math.max(overlap.peak, overlap.open);
      const release = () => {
        clearTimeout(timer);
        overlap.open -= 1;
        resolve({ status: answer(request), body: {} });
      };
      const timer = setTimeout(() => {
        waiting = waiting.filter((r) => r !== release);
        release();
      }, fallbackMs);
      waiting.push(release);
      if (overlap.open >= target) for (const r of waiting.splice(0)) r();
    });
  return { overlap, responder };
}

const bodyOf = (request: CapturedRequest) => request.body as { messageId: string; userId: string; properties: { seq: number; answer?: number } };

describe('delivery runtime: events of one task overlap within the connection limits', () => {
  const t = useSinkAndRuntime();

  it('overlaps per-event requests up to maxConcurrency, and every event arrives once', async () => {
    const { overlap, responder } = holdUntilOverlapping(4);
    t.sink.responder = responder;
    await t.fixture.connect([{ id: 'hook', connector: 'webhook', settings: { url: `${t.sink.url}/hook` }, delivery: { maxConcurrency: 4 } }]);
    const events = Array.from({ length: 40 }, (_, seq) => trackEvent({ properties: { seq } }));
    await t.fixture.runtime.accept(events.map((e) => accepted(e, ['hook'])));

    await t.fixture.until(() => t.fixture.delivered('hook').length === 40, 30_000, 'every event');
    expect(overlap.peak).toBe(4);
    expect(t.sink.requests.map((r) => bodyOf(r).messageId).sort()).toEqual(events.map((e) => e.messageId).sort());
  }, 60_000);

  it('uses every thread under an odd maxConcurrency and never goes beyond it', async () => {
    const { overlap, responder } = holdUntilOverlapping(5);
    t.sink.responder = responder;
    await t.fixture.connect([{ id: 'hook', connector: 'webhook', settings: { url: `${t.sink.url}/hook` }, delivery: { maxConcurrency: 5 } }]);
    for (let round = 0; round < 3; round += 1) {
      const events = Array.from({ length: 60 }, (_, seq) => trackEvent({ properties: { seq } }));
      await t.fixture.runtime.accept(events.map((e) => accepted(e, ['hook'])));
      await t.fixture.until(() => t.fixture.delivered('hook').length === 60 * (round + 1), 30_000, `round ${round}`);
    }
    expect(overlap.peak).toBeLessThanOrEqual(5);
    expect(overlap.peak).toBeGreaterThan(2);
  }, 90_000);

  it("keeps each user's events in order under ordering: 'per-user' while different users overlap", async () => {
    const overlap: Overlap = { open: 0, peak: 0 };
    // Answers out of arrival order, so overlapping events of one user would arrive reordered.
    t.sink.responder = () => {
      overlap.open += 1;
      overlap.peak = Math.max(overlap.peak, overlap.open);
      return new Promise((resolve) =>
        setTimeout(
          () => {
            overlap.open -= 1;
            resolve({ status: 200, body: {} });
          },
          1 + Math.floor(Math.random() * 8),
        ),
      );
    };
    await t.fixture.connect([{ id: 'crm', connector: './per-user', settings: { url: `${t.sink.url}/crm` } }]);
    const users = ['u1', 'u2', 'u3', 'u4'];
    const rounds = 10;
    for (let round = 0; round < rounds; round += 1) {
      const events = Array.from({ length: 24 }, (_, seq) => {
        const userId = users[seq % users.length]!;
        return trackEvent({ userId, identities: { user_id: userId }, properties: { seq } });
      });
      await t.fixture.runtime.accept(events.map((e) => accepted(e, ['crm'])));
      await t.fixture.until(() => t.fixture.delivered('crm').length === 24 * (round + 1), 30_000, `round ${round}`);
    }
    expect(t.sink.requests).toHaveLength(24 * rounds);
    for (let round = 0; round < rounds; round += 1) {
      const arrived = t.sink.requests.slice(round * 24, (round + 1) * 24).map(bodyOf);
      for (const user of users) {
        const seqs = arrived.filter((b) => b.userId === user).map((b) => b.properties.seq);
        expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
        expect(seqs).toHaveLength(6);
      }
    }
    expect(overlap.peak).toBeGreaterThan(1);
  }, 120_000);

  it('honours ratePerSecond per request when the connection does not batch', async () => {
    const ratePerSecond = 10;
    await t.fixture.connect([{ id: 'hook', connector: 'webhook', settings: { url: `${t.sink.url}/hook`, batching: false }, delivery: { ratePerSecond } }]);
    const events = Array.from({ length: 25 }, (_, seq) => trackEvent({ properties: { seq } }));
    await t.fixture.runtime.accept(events.map((e) => accepted(e, ['hook'])));

    await t.fixture.until(() => t.fixture.delivered('hook').length === 25, 30_000, 'every event');
    const arrivals = t.sink.requests.map((r) => r.receivedAt).sort((a, b) => a - b);
    // Requests start at most `ratePerSecond` in any second, so the 21st starts two seconds after the first. The sink
    // sees each one a little after it starts (more on a loaded machine), hence the allowance for that lag.
    const lagMs = 500;
    expect(arrivals[2 * ratePerSecond]! - arrivals[0]!).toBeGreaterThanOrEqual(2000 - lagMs);
    const busiest = Math.max(...arrivals.map((at) => arrivals.filter((other) => other >= at && other < at + 1000 - lagMs).length));
    expect(busiest).toBeLessThanOrEqual(ratePerSecond);
  }, 60_000);

  it('gives each overlapped event its own result: ok, retried then delivered, dead-lettered', async () => {
    const seenOnce = new Set<string>();
    const { overlap, responder } = holdUntilOverlapping(4, (request) => {
      const { messageId, properties } = bodyOf(request);
      if (properties.answer === 503 && !seenOnce.has(messageId)) {
        seenOnce.add(messageId);
        return 503;
      }
      return properties.answer === 400 ? 400 : 200;
    });
    t.sink.responder = responder;
    await t.fixture.connect([
      {
        id: 'hook',
        connector: 'webhook',
        settings: { url: `${t.sink.url}/hook` },
        delivery: { maxConcurrency: 4, retry: { baseDelayMs: 10, maxDelayMs: 20 }, breaker: { volumeThreshold: 1000 } },
      },
    ]);
    const answers = [200, 503, 400];
    const events = Array.from({ length: 30 }, (_, seq) => trackEvent({ properties: { seq, answer: answers[seq % 3] } }));
    await t.fixture.runtime.accept(events.map((e) => accepted(e, ['hook'])));

    const ids = (answer: number) =>
      events
        .filter((e) => e.properties!.answer === answer)
        .map((e) => e.messageId)
        .sort();
    await t.fixture.until(() => t.fixture.delivered('hook').length === 20 && t.fixture.deadLettered('hook').length === 10, 30_000, 'every result');
    expect([...t.fixture.delivered('hook')].sort()).toEqual([...ids(200), ...ids(503)].sort());
    expect([...t.fixture.deadLettered('hook')].sort()).toEqual(ids(400));
    expect(t.fixture.settled.flatMap((s) => s.retried).sort()).toEqual(ids(503));
    const letters = await t.fixture.runtime.listDeadLetters({ connectionId: 'hook' });
    expect(letters.map((l) => l.error.httpStatus)).toEqual(Array(10).fill(400));
    expect(overlap.peak).toBe(4);
  }, 60_000);
});
