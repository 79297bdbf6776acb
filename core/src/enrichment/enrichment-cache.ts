import { LRUCache } from 'lru-cache';

/** A bounded LRU map whose entries expire; holds enrichment results (and "nothing found") per cache key. */
export class EnrichmentCache<V> {
  private readonly entries: LRUCache<string, { value: V; expiresAt: number }>;

  constructor(
    maxEntries: number,
    private readonly ttlMs: number,
  ) {
    this.entries = new LRUCache({ max: maxEntries });
  }

  get(key: string, now = Date.now()): { value: V } | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return { value: entry.value };
  }

  set(key: string, value: V, now = Date.now()): void {
    this.entries.set(key, { value, expiresAt: now + this.ttlMs });
  }

  get size(): number {
    return this.entries.size;
  }
}
