import type { ThroughputSample } from './types.js';

/** Reads one cumulative counter from a sample (undefined where the source or connection is absent). */
export type CounterOf = (sample: ThroughputSample) => number | undefined;

/** Growth of a cumulative counter; a reading that went down started again from zero (a restarted connection). */
const growth = (before: number, after: number) => (after >= before ? after - before : after);

/**
 * Per-second rates between consecutive samples, as uPlot series: `times` in Unix seconds (of the later sample of
 * each pair) and one array per counter, `null` where a pair lacks the counter.
 */
export function rateSeries(samples: readonly ThroughputSample[], counters: readonly CounterOf[]): [number[], ...Array<Array<number | null>>] {
  const times: number[] = [];
  const series = counters.map(() => [] as Array<number | null>);
  for (let i = 1; i < samples.length; i += 1) {
    const [before, after] = [samples[i - 1]!, samples[i]!];
    const seconds = (Date.parse(after.at) - Date.parse(before.at)) / 1000;
    if (!(seconds > 0)) continue;
    times.push(Date.parse(after.at) / 1000);
    counters.forEach((counter, k) => {
      const [a, b] = [counter(before), counter(after)];
      series[k]!.push(a === undefined || b === undefined ? null : growth(a, b) / seconds);
    });
  }
  return [times, ...series];
}

/** Growth of each counter over the last `windowMs` of samples and the seconds it spans; undefined with fewer than two samples. */
export function recentGrowth(
  samples: readonly ThroughputSample[],
  counters: readonly CounterOf[],
  windowMs: number,
): { seconds: number; growth: number[] } | undefined {
  const last = samples[samples.length - 1];
  if (!last) return undefined;
  const end = Date.parse(last.at);
  const window = samples.filter((s) => Date.parse(s.at) >= end - windowMs);
  if (window.length < 2) return undefined;
  const totals = counters.map(() => 0);
  for (let i = 1; i < window.length; i += 1) {
    counters.forEach((counter, k) => {
      const [a, b] = [counter(window[i - 1]!), counter(window[i]!)];
      if (a !== undefined && b !== undefined) totals[k]! += growth(a, b);
    });
  }
  return { seconds: (end - Date.parse(window[0]!.at)) / 1000, growth: totals };
}

/** Failed attempts (retried or dead-lettered) over all attempts of a connection in the window, or undefined without attempts. */
export function errorRate(samples: readonly ThroughputSample[], connection: string, windowMs: number): number | undefined {
  const recent = recentGrowth(
    samples,
    [(s) => s.connections[connection]?.delivered, (s) => s.connections[connection]?.retried, (s) => s.connections[connection]?.deadLettered],
    windowMs,
  );
  if (!recent) return undefined;
  const [delivered, retried, deadLettered] = recent.growth as [number, number, number];
  const attempts = delivered + retried + deadLettered;
  return attempts === 0 ? undefined : (retried + deadLettered) / attempts;
}

/** Per-second rate of one counter over the window, or undefined with fewer than two samples. */
export function recentRate(samples: readonly ThroughputSample[], counter: CounterOf, windowMs: number): number | undefined {
  const recent = recentGrowth(samples, [counter], windowMs);
  return recent && recent.seconds > 0 ? recent.growth[0]! / recent.seconds : undefined;
}

/** Appends fresh samples to the ones held, keeping only the last `windowMs`. */
export function mergeSamples(held: readonly ThroughputSample[], fresh: readonly ThroughputSample[], windowMs: number): ThroughputSample[] {
  const lastAt = held.length ? Date.parse(held[held.length - 1]!.at) : -Infinity;
  const merged = [...held, ...fresh.filter((s) => Date.parse(s.at) > lastAt)];
  const end = merged.length ? Date.parse(merged[merged.length - 1]!.at) : 0;
  return merged.filter((s) => Date.parse(s.at) >= end - windowMs);
}
