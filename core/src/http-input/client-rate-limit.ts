import { RequestError } from './request-error.js';

/**
 * A fixed-window request count per client (a web source's key and the caller's IP): a key that is public in every
 * page cannot be used to flood the router from one address. Windows are dropped as soon as they end.
 */
export class ClientRateLimit {
  private windowStart = 0;
  private counts = new Map<string, number>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one request of `client`: undefined while within the limit, else the seconds until the window ends. */
  take(client: string): number | undefined {
    const now = this.now();
    if (now - this.windowStart >= this.windowMs) {
      this.windowStart = now;
      this.counts.clear();
    }
    const count = (this.counts.get(client) ?? 0) + 1;
    this.counts.set(client, count);
    return count > this.limit ? Math.max(1, Math.ceil((this.windowStart + this.windowMs - now) / 1000)) : undefined;
  }

  /** The 429 answer to a client past the limit. */
  refusal(retryAfterSeconds: number): RequestError {
    return new RequestError(429, 'RATE_LIMITED', [
      { path: 'client', message: `more than ${this.limit} requests in ${this.windowMs / 1000} s from this address; retry in ${retryAfterSeconds} s` },
    ]);
  }
}
