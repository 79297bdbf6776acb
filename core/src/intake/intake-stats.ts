/** Counters of what ingestion did with what it received, per source (and per data plan for violations). */
export class IntakeStats {
  private readonly counters = new Map<string, number>();

  add(sourceId: string, what: string, count = 1): void {
    if (count === 0) return;
    const key = `${sourceId}\u0000${what}`;
    this.counters.set(key, (this.counters.get(key) ?? 0) + count);
  }

  get(sourceId: string, what: string): number {
    return this.counters.get(`${sourceId}\u0000${what}`) ?? 0;
  }

  /** `{ web: { accepted: 10, duplicates: 1, "plan:checkout:unplanned_event": 2 } }` */
  bySource(): Record<string, Record<string, number>> {
    const out: Record<string, Record<string, number>> = {};
    for (const [key, count] of this.counters) {
      const [sourceId, what] = key.split('\u0000') as [string, string];
      (out[sourceId] ??= {})[what] = count;
    }
    return out;
  }
}
