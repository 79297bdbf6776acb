const WINDOW_MS = 1000;

/**
 * A sliding one-second window of requests started: at most `perSecond` in any second. The runtime's dispatcher
 * takes what a task will make before leasing it (so no task holds more than a second's worth), and the executor
 * takes one right before each per-event call (so calls keep the pace however late their task started).
 */
export class RateLimiter {
  /** Start times and request counts, oldest first. */
  private readonly starts: Array<{ at: number; count: number }> = [];
  private used = 0;

  constructor(private readonly perSecond: number) {}

  /** Requests that may start now. */
  available(now: number): number {
    this.expire(now);
    return Math.max(0, this.perSecond - this.used);
  }

  /** When a request may start again, once none is available. */
  nextAt(now: number): number {
    this.expire(now);
    return this.starts.length ? this.starts[0]!.at + WINDOW_MS : now;
  }

  /** Waits until a request may start and takes it; false when `signal` aborted first. */
  async acquire(signal: AbortSignal): Promise<boolean> {
    for (;;) {
      if (signal.aborted) return false;
      const now = Date.now();
      if (this.available(now) > 0) {
        this.take(1, now);
        return true;
      }
      await pause(this.nextAt(now) - now, signal);
    }
  }

  take(count: number, now: number): void {
    if (count <= 0) return;
    this.starts.push({ at: now, count });
    this.used += count;
  }

  private expire(now: number): void {
    while (this.starts.length && this.starts[0]!.at + WINDOW_MS <= now) this.used -= this.starts.shift()!.count;
  }
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(1, ms));
    signal.addEventListener('abort', done, { once: true });
  });
}
