import type { FilterReason } from './connection-filters.js';

/** Events a connection's filters left out, by reason. */
export type FilterCounts = { drop: number; sample: number };

/** Counted by the routing decision, read by the stats routes and the metrics. */
export class FilterTally {
  private readonly counts = new Map<string, FilterCounts>();

  note(connectionId: string, reason: FilterReason): void {
    let counts = this.counts.get(connectionId);
    if (!counts) this.counts.set(connectionId, (counts = { drop: 0, sample: 0 }));
    counts[reason === 'filter:drop' ? 'drop' : 'sample'] += 1;
  }

  byConnection(): Record<string, FilterCounts> {
    return Object.fromEntries([...this.counts].map(([id, counts]) => [id, { ...counts }]));
  }
}
