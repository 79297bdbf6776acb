import { errorRate, mergeSamples, rateSeries, recentRate } from '../src/page/rates.js';
import type { ThroughputSample } from '../src/page/types.js';

const at = (seconds: number) => new Date(Date.UTC(2026, 0, 1, 12, 0, seconds)).toISOString();
const sample = (seconds: number, received: number, delivered = 0, retried = 0, deadLettered = 0): ThroughputSample => ({
  at: at(seconds),
  sources: { web: { received, accepted: received, rejected: 0 } },
  connections: { hook: { delivered, retried, deadLettered, dropped: 0, queued: 0, breaker: 'closed' } },
});

describe('rates from the throughput history', () => {
  it('turns cumulative counters into per-second rates between samples, at the later sample', () => {
    const [times, received] = rateSeries([sample(0, 0), sample(5, 10), sample(10, 40)], [(s) => s.sources.web?.received]);
    expect(times).toEqual([Date.parse(at(5)) / 1000, Date.parse(at(10)) / 1000]);
    expect(received).toEqual([2, 6]);
  });

  it('takes a counter that went down as started again from zero, and leaves a gap where the counter is missing', () => {
    const restarted = { ...sample(10, 0), sources: {} };
    const [, received] = rateSeries([sample(0, 100), sample(5, 3), restarted, sample(15, 10)], [(s) => s.sources.web?.received]);
    expect(received).toEqual([0.6, null, null]);
  });

  it('averages a rate over the last window only', () => {
    const samples = [sample(0, 0), sample(5, 1000), sample(60, 1000), sample(65, 1050)];
    expect(recentRate(samples, (s) => s.sources.web?.received, 10_000)).toBe(10);
    expect(recentRate([sample(0, 5)], (s) => s.sources.web?.received, 60_000)).toBeUndefined();
  });

  it('gives a connection error rate as failed attempts over all attempts, undefined without attempts', () => {
    expect(errorRate([sample(0, 0, 10, 0, 0), sample(5, 0, 16, 1, 1)], 'hook', 60_000)).toBe(0.25);
    expect(errorRate([sample(0, 0, 10), sample(5, 0, 10)], 'hook', 60_000)).toBeUndefined();
    expect(errorRate([sample(0, 0, 10), sample(5, 0, 12)], 'other', 60_000)).toBeUndefined();
  });

  it('appends only samples after the last one held and keeps the window', () => {
    const held = [sample(0, 0), sample(5, 1)];
    const merged = mergeSamples(held, [sample(5, 1), sample(10, 2), sample(15, 3)], 10_000);
    expect(merged.map((s) => s.at)).toEqual([at(5), at(10), at(15)]);
  });
});
