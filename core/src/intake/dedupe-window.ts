import { LRUCache } from 'lru-cache';

/**
 * Remembers recently accepted messageIds (per source) for a time window, bounded in size. In memory:
 * after a restart a client's retry of an already-acknowledged batch can pass once, which connectors
 * keyed on messageId (warehouses, event_id-deduplicating ad APIs) absorb.
 */
export class DedupeWindow {
  /** messageId → when it was accepted; the least recently accepted go first once the capacity is reached. */
  private readonly seen: LRUCache<string, number>;

  constructor(
    private readonly windowMs: number,
    capacity: number,
  ) {
    this.seen = new LRUCache({ max: capacity });
  }

  has(sourceId: string, messageId: string, now = Date.now()): boolean {
    const at = this.seen.peek(`${sourceId} ${messageId}`);
    return at !== undefined && now - at < this.windowMs;
  }

  remember(sourceId: string, messageIds: Iterable<string>, now = Date.now()): void {
    if (this.windowMs <= 0) return;
    for (const id of messageIds) this.seen.set(`${sourceId} ${id}`, now);
    this.forgetExpired(now);
  }

  get size(): number {
    return this.seen.size;
  }

  /** Expired ids are the least recently accepted: dropped from the old end until one is still in the window. */
  private forgetExpired(now: number): void {
    const expired: string[] = [];
    for (const key of this.seen.rkeys()) {
      if (now - this.seen.peek(key)! < this.windowMs) break;
      expired.push(key);
    }
    for (const key of expired) this.seen.delete(key);
  }
}
