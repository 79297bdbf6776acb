/**
 * Revocations (suppressions, erasures, consent withdrawals, privacy config changes) shared between the main
 * thread and every connector worker through one SharedArrayBuffer, so the last privacy check can run inside the
 * worker, right before bytes leave, without a round trip.
 *
 * Layout (Int32 cells): the revocation count of this run; the number of the last revocation that applies to
 * everyone; one entry per worker thread (its thread id and two "hold" counters, one per parity of the count);
 * then a table of key slots, each holding the number of the last revocation of an identity key hashed to it.
 * A hash collision only makes a worker hand an item back for an extra check; it never lets one through.
 *
 * A worker holds the board while bytes it has decided to send are on their way out; `revoke` resolves once every
 * hold taken before it was released, so a revocation is acknowledged only after the last request checked before
 * it has left or been stopped (workers watch the count and destroy their revoked requests still leaving). A worker
 * that dies has its holds cleared by the main thread (`forgetWorker`).
 */
const COUNT = 0;
const EVERYONE = 1;
const FIRST_WORKER = 2;
const WORKER_CELLS = 3; // thread id, holds (even count), holds (odd count)
const MAX_WORKERS = 256;
const FIRST_SLOT = FIRST_WORKER + MAX_WORKERS * WORKER_CELLS;
const SLOTS = 1 << 16;
/** Workers beyond MAX_WORKERS share the last entry, which is never cleared. */
const SHARED_ENTRY = MAX_WORKERS - 1;

/**
 * How long a revocation waits for holds taken before it that cannot be stopped: a connector call writing through
 * its own socket or to files rather than `ctx.http`.
 */
export const REVOCATION_HOLD_WAIT_MS = 5_000;

export type Release = () => void;

/** Key slots, or a function that computes them: read only when a revocation happened since the check. */
export type Slots = readonly number[] | (() => readonly number[]);

// Atomics.waitAsync is in Node 16+ but only in TypeScript's ES2024 library.
type WaitAsync = (
  cells: Int32Array,
  index: number,
  value: number,
  timeoutMs: number,
) => { async: false; value: string } | { async: true; value: Promise<string> };
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

export class RevocationBoard {
  private readonly cells: Int32Array;
  private draining: Promise<void> = Promise.resolve();

  constructor(readonly buffer: SharedArrayBuffer) {
    this.cells = new Int32Array(buffer);
  }

  static create(): RevocationBoard {
    return new RevocationBoard(new SharedArrayBuffer((FIRST_SLOT + SLOTS) * Int32Array.BYTES_PER_ELEMENT));
  }

  /** Revocations recorded in this run so far. */
  get count(): number {
    return Atomics.load(this.cells, COUNT);
  }

  /**
   * Records a revocation of these identity keys (or of everyone when none are given) at once, and resolves once
   * no request checked before it can still be on its way out. Main thread only. Waits run one after another, so
   * a wait also covers holds of the parity an earlier revocation was still draining.
   */
  revoke(identityKeys?: readonly string[], maxWaitMs = REVOCATION_HOLD_WAIT_MS): Promise<void> {
    const previous = Atomics.load(this.cells, COUNT);
    const next = previous + 1;
    // Slots before the count: a worker that sees the new count is sure to see the slots too.
    if (identityKeys) for (const slot of slotsOf(identityKeys)) Atomics.store(this.cells, FIRST_SLOT + slot, next);
    else Atomics.store(this.cells, EVERYONE, next);
    Atomics.store(this.cells, COUNT, next);
    // Wakes workers watching their requests still leaving (`nextRevocation`).
    Atomics.notify(this.cells, COUNT);
    const drained = this.draining.then(() => this.drain(previous & 1, Date.now() + maxWaitMs));
    this.draining = drained.catch(() => undefined);
    return drained;
  }

  private async drain(parity: number, deadline: number): Promise<void> {
    for (let entry = 0; entry < MAX_WORKERS; entry += 1) {
      const cell = holdCell(entry, parity);
      for (let holds = Atomics.load(this.cells, cell); holds > 0; holds = Atomics.load(this.cells, cell)) {
        const remaining = deadline - Date.now();
        if (remaining <= 0) return;
        const waited = waitAsync(this.cells, cell, holds, remaining);
        if (waited.async) await waited.value;
      }
    }
  }

  /** Worker side: resolves once the revocation count is no longer `seen` (at once when it is not). */
  nextRevocation(seen: number): Promise<void> {
    const waited = waitAsync(this.cells, COUNT, seen, Infinity);
    return waited.async ? waited.value.then(() => undefined) : Promise.resolve();
  }

  /** Worker side, once at start: the entry this thread counts its holds in. */
  claimEntry(threadId: number): number {
    for (let entry = 0; entry < SHARED_ENTRY; entry += 1) {
      if (Atomics.compareExchange(this.cells, FIRST_WORKER + entry * WORKER_CELLS, 0, threadId) === 0) return entry;
    }
    return SHARED_ENTRY;
  }

  /** Main thread, when a worker is gone: its holds can never be released by it. */
  forgetWorker(threadId: number): void {
    for (let entry = 0; entry < SHARED_ENTRY; entry += 1) {
      const idCell = FIRST_WORKER + entry * WORKER_CELLS;
      if (Atomics.load(this.cells, idCell) !== threadId) continue;
      for (const parity of [0, 1]) {
        Atomics.store(this.cells, holdCell(entry, parity), 0);
        Atomics.notify(this.cells, holdCell(entry, parity));
      }
      Atomics.store(this.cells, idCell, 0);
    }
  }

  /** True when any of these slots (or everyone) was revoked after revocation number `since`. */
  isRevokedSince(slots: Slots, since: number): boolean {
    if (Atomics.load(this.cells, COUNT) <= since) return false;
    if (Atomics.load(this.cells, EVERYONE) > since) return true;
    return (typeof slots === 'function' ? slots() : slots).some((slot) => Atomics.load(this.cells, FIRST_SLOT + slot) > since);
  }

  /**
   * Worker side: takes a hold for sending data whose privacy was checked at revocation `since`, or returns
   * undefined when it was revoked since then. The caller releases the hold once the bytes have left.
   */
  hold(entry: number, slots: Slots, since: number): Release | undefined {
    for (;;) {
      const count = Atomics.load(this.cells, COUNT);
      if (this.isRevokedSince(slots, since)) return undefined;
      const cell = holdCell(entry, count & 1);
      Atomics.add(this.cells, cell, 1);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        // Never below zero: the main thread may have cleared this entry's holds in the meantime.
        if (Atomics.sub(this.cells, cell, 1) <= 0) Atomics.store(this.cells, cell, 0);
        Atomics.notify(this.cells, cell);
      };
      // A revocation that landed between the check and the hold may not have seen the hold: check again.
      if (Atomics.load(this.cells, COUNT) === count) return release;
      release();
    }
  }
}

function holdCell(entry: number, parity: number): number {
  return FIRST_WORKER + entry * WORKER_CELLS + 1 + parity;
}

/** Slot indexes of identity keys (FNV-1a). */
export function slotsOf(identityKeys: readonly string[]): number[] {
  return identityKeys.map((key) => {
    let hash = 0x811c9dc5;
    for (let i = 0; i < key.length; i += 1) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
    return (hash >>> 0) & (SLOTS - 1);
  });
}
