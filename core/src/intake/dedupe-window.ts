/**
 * Remembers recently accepted messageIds (per source) for a time window, bounded in size. In memory:
 * after a restart a client's retry of an already-acknowledged batch can pass once, which connectors
 * keyed on messageId (warehouses, event_id-deduplicating ad APIs) absorb.
 */
export class DedupeWindow {
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly windowMs: number,
    private readonly capacity: number,
  ) {}

  has(sourceId: string, messageId: string, now = Date.now()): boolean {
    const at = this.seen.get(`${sourceId} ${messageId}`);
    return at !== undefined && now - at < this.windowMs;
  }

  remember(sourceId: string, messageIds: Iterable<string>, now = Date.now()): void {
    if (this.windowMs <= 0) return;
    for (const id of messageIds) {
      const key = `${sourceId} ${id}`;
      this.seen.delete(key);
      this.seen.set(key, now);
    }
    this.evict(now);
  }

  get size(): number {
    return this.seen.size;
  }

  /** Insertion order is age order, so expired and surplus entries are always at the front. */
  private evict(now: number): void {
    for (const [key, at] of this.seen) {
      if (this.seen.size <= this.capacity && now - at < this.windowMs) break;
      this.seen.delete(key);
    }
  }
}
