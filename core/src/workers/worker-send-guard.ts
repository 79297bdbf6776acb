import { AsyncLocalStorage } from 'node:async_hooks';
import { REVOKED, SendRevokedError, type CanonicalEvent, type RequestGuard, type SendGuard } from '@switchyard/sdk-kit';
import { eventIdentityKeys } from '../vocabulary/identity-types.js';
import { RevocationBoard, slotsOf, type Release, type Slots } from '../revocation/revocation-board.js';

interface CallScope {
  slots: Slots;
  checkpoint: number;
  /** The action call's own hold, handed over to its first request. */
  callHold?: Release;
}

interface LeavingRequest {
  slots: Slots;
  checkpoint: number;
  abort: (error: Error) => void;
}

/**
 * The worker end of the revocation board: the send guard the executor asks before each action call, and the
 * request guard the HTTP client asks right before each request leaves. An action call holds the board from its
 * start until its first request takes over (so a connector writing to disk or a database socket is covered too);
 * each request holds it until its body has been written, and is destroyed if revoked before that.
 */
export class WorkerSendGuards {
  private readonly board: RevocationBoard;
  private readonly entry: number;
  private readonly scope = new AsyncLocalStorage<CallScope>();
  private readonly slotsByEvent = new WeakMap<CanonicalEvent, number[]>();
  /** Requests holding the board: their bodies have not been written out yet. */
  private readonly leaving = new Set<LeavingRequest>();
  private watching = false;

  constructor(buffer: SharedArrayBuffer, threadId: number) {
    this.board = new RevocationBoard(buffer);
    this.entry = this.board.claimEntry(threadId);
  }

  /** The guard for one task checked at `checkpoint`. */
  forTask(checkpoint: number): SendGuard {
    return {
      // The common case, no revocation since the check, costs one atomic read per event.
      isRevoked: (event) => this.board.isRevokedSince(() => this.slotsOf([event]), checkpoint),
      during: async (events, call) => {
        let computed: number[] | undefined;
        // Hashing every identity of a batch is needed only once something was revoked since the check.
        const slots = () => (computed ??= this.slotsOf(events));
        const callHold = this.board.hold(this.entry, slots, checkpoint);
        if (!callHold) return REVOKED;
        try {
          return await this.scope.run({ slots, callHold, checkpoint }, call);
        } finally {
          callHold();
        }
      },
    };
  }

  readonly requestGuard: RequestGuard = (abort) => {
    const scope = this.scope.getStore();
    // Requests outside a delivery (enrichment lookups, deletions) are not the subject of a revocation check.
    if (!scope) return () => undefined;
    const release = this.board.hold(this.entry, scope.slots, scope.checkpoint);
    if (!release) throw new SendRevokedError();
    scope.callHold?.();
    scope.callHold = undefined;
    const request: LeavingRequest = { slots: scope.slots, checkpoint: scope.checkpoint, abort };
    this.leaving.add(request);
    this.watch(scope.checkpoint);
    return () => {
      this.leaving.delete(request);
      release();
    };
  };

  /**
   * While requests are leaving, wakes on every revocation and destroys those it revokes: a body that takes longer
   * to leave than the main thread waits for holds (a slow upload) is stopped instead of finishing after the ack.
   */
  private watch(seen: number): void {
    if (this.watching) return;
    this.watching = true;
    void this.board.nextRevocation(seen).then(() => {
      this.watching = false;
      // Read before the checks: a revocation landing during them wakes the next watch at once.
      const count = this.board.count;
      for (const request of this.leaving) {
        if (this.board.isRevokedSince(request.slots, request.checkpoint)) request.abort(new SendRevokedError());
      }
      if (this.leaving.size > 0) this.watch(count);
    });
  }

  private slotsOf(events: readonly CanonicalEvent[]): number[] {
    return events.flatMap((event) => {
      let slots = this.slotsByEvent.get(event);
      if (!slots) this.slotsByEvent.set(event, (slots = slotsOf(eventIdentityKeys(event))));
      return slots;
    });
  }
}
