import { recheckResult, REVOKED, type SendGuard } from './send-guard.js';
import type { CanonicalEvent, ItemResult } from './types.js';

/** Writes one event's result into the task's results (the executor keeps the most severe). */
export type RecordResult = (index: number, result: ItemResult) => void;

/** An event of the task that a connector call is about to send: its position in the task, and the event. */
export interface GuardedItem {
  index: number;
  event: CanonicalEvent;
}

export type GuardedRun = <T>(items: readonly GuardedItem[], call: () => T | Promise<T>) => Promise<{ value: T } | undefined>;

/**
 * Runs a connector call (an action or an audience sync) under the runtime's send guard: items revoked since the
 * runtime checked them are handed back (PRIVACY_RECHECK) instead of sent. Returns undefined when the call did not run.
 */
export function guardedRun(guard: SendGuard | undefined, record: RecordResult): GuardedRun {
  return async (items, call) => {
    if (!guard) return { value: await call() };
    const value = await guard.during(
      items.map((p) => p.event),
      call,
    );
    if (value === REVOKED) {
      for (const p of items) record(p.index, recheckResult());
      return undefined;
    }
    return { value };
  };
}

/** Hands back, before anything is built for the destination, the items revoked since the runtime checked them. */
export function withoutRevoked<T extends GuardedItem>(guard: SendGuard | undefined, items: T[], record: RecordResult): T[] {
  if (!guard) return items;
  return items.filter((p) => {
    if (!guard.isRevoked(p.event)) return true;
    record(p.index, recheckResult());
    return false;
  });
}
