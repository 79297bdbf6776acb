import type { ConnectionStats } from '../delivery/connection-dispatcher.js';

/** Cumulative counts of a source since the router started. */
export interface SourceCounts {
  /** Events in accepted requests. */
  received: number;
  /** Events queued for at least one connection. */
  accepted: number;
  /** Ingestion requests of the source answered with an error. */
  rejected: number;
}

/** Cumulative counts of a connection since it started, with its queue depth and breaker at the sample. */
export interface ConnectionCounts {
  delivered: number;
  retried: number;
  deadLettered: number;
  dropped: number;
  queued: number;
  breaker: ConnectionStats['breaker'];
}

export interface ThroughputSample {
  at: string;
  sources: Record<string, SourceCounts>;
  connections: Record<string, ConnectionCounts>;
}

/** `GET /admin/v1/throughput`: the samples of the window, oldest first. */
export interface ThroughputReport {
  intervalMs: number;
  windowMs: number;
  samples: ThroughputSample[];
}

/** What a sample reads: every stage's own counters (as the metrics do), never a copy kept in sync. */
export interface ThroughputReadings {
  /** The configured source ids, so a source without traffic still shows (with zeros). */
  sourceIds: () => readonly string[];
  /** Intake counters per source (`received`, `accepted`, …). */
  intake: () => Record<string, Record<string, number>>;
  /** Refused ingestion requests per source. */
  rejected: () => Promise<Record<string, number>>;
  connections: () => Record<string, ConnectionStats>;
  queueDepth: () => Promise<Record<string, number>>;
}

export interface ThroughputHistoryOptions {
  intervalMs?: number;
  windowMs?: number;
}

/**
 * A ring of samples of the cumulative per-source and per-connection counters, one every `intervalMs` (5 s) over
 * the last `windowMs` (15 min), so the dashboard charts the last minutes from the moment it opens. Rates are
 * differences between samples; a counter that went down started again from zero (a connection restarted by a
 * reload).
 */
export class ThroughputHistory {
  readonly intervalMs: number;
  readonly windowMs: number;
  private readonly capacity: number;
  private readonly ring: Array<{ atMs: number; sample: ThroughputSample }> = [];
  private timer?: ReturnType<typeof setInterval>;
  private sampling?: Promise<void>;

  constructor(
    private readonly readings: ThroughputReadings,
    options: ThroughputHistoryOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 5000;
    this.windowMs = options.windowMs ?? 15 * 60_000;
    this.capacity = Math.ceil(this.windowMs / this.intervalMs) + 1;
  }

  /** Takes a sample now and then every interval; the timer never keeps the process alive. */
  start(): void {
    if (this.timer) return;
    void this.sample();
    this.timer = setInterval(() => void this.sample(), this.intervalMs);
    this.timer.unref();
  }

  /** Stops sampling and waits for a sample under way, so nothing reads the queue after it closes. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.sampling;
  }

  /** Takes one sample (the timer calls it; a sample under way is not doubled). */
  sample(): Promise<void> {
    this.sampling ??= this.take().finally(() => {
      this.sampling = undefined;
    });
    return this.sampling;
  }

  /** The samples of the window, oldest first; with `sinceMs`, only those taken after it. */
  report(sinceMs?: number): ThroughputReport {
    const samples = this.ring.filter(({ atMs }) => sinceMs === undefined || atMs > sinceMs).map(({ sample }) => sample);
    return { intervalMs: this.intervalMs, windowMs: this.windowMs, samples };
  }

  private async take(): Promise<void> {
    let rejected: Record<string, number>;
    let depth: Record<string, number>;
    try {
      [rejected, depth] = await Promise.all([this.readings.rejected(), this.readings.queueDepth()]);
    } catch {
      return; // the queue is closing: this sample is skipped, the next one reads again
    }
    const intake = this.readings.intake();
    const sources: Record<string, SourceCounts> = {};
    for (const id of new Set([...this.readings.sourceIds(), ...Object.keys(intake)])) {
      sources[id] = { received: intake[id]?.received ?? 0, accepted: intake[id]?.accepted ?? 0, rejected: rejected[id] ?? 0 };
    }
    const connections: Record<string, ConnectionCounts> = {};
    for (const [id, stats] of Object.entries(this.readings.connections())) {
      const { delivered, retried, deadLettered, dropped, breaker } = stats;
      connections[id] = { delivered, retried, deadLettered, dropped, queued: depth[id] ?? 0, breaker };
    }
    const atMs = Date.now();
    this.ring.push({ atMs, sample: { at: new Date(atMs).toISOString(), sources, connections } });
    while (this.ring.length > this.capacity || this.ring[0]!.atMs < atMs - this.windowMs) this.ring.shift();
  }
}
