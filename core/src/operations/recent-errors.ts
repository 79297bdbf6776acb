import type { DeliveryFailure, SettledBatch } from '../delivery/connection-dispatcher.js';

export interface RecentError extends DeliveryFailure {
  at: string;
}

/** The last failed delivery attempts of each connection, in memory (`GET /admin/v1/connections/:id/errors`). */
export class RecentErrors {
  private readonly byConnection = new Map<string, RecentError[]>();

  constructor(private readonly perConnection = 50) {}

  observe(batch: SettledBatch): void {
    if (!batch.failures?.length) return;
    const at = new Date().toISOString();
    const list = this.byConnection.get(batch.connectionId) ?? [];
    list.push(...batch.failures.map((failure) => ({ at, ...failure })));
    this.byConnection.set(batch.connectionId, list.slice(-this.perConnection));
  }

  /** Newest first. */
  of(connectionId: string): RecentError[] {
    return [...(this.byConnection.get(connectionId) ?? [])].reverse();
  }
}
