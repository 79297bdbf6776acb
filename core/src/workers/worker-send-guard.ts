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

/**
 * The worker end of the revocation board: the send guard the executor asks before each action call, and the
 * request guard the HTTP client asks right before each request leaves. An action call holds the board from its
 * start until its first request takes over (so a connector writing to disk or a database socket is covered too);
 * each request holds it until its body has been written.
 */
export class WorkerSendGuards {
  private readonly board: RevocationBoard;
  private readonly entry: number;
  private readonly scope = new AsyncLocalStorage<CallScope>();
  private readonly slotsByEvent = new WeakMap<CanonicalEvent, number[]>();

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

  readonly requestGuard: RequestGuard = () => {
    const scope = this.scope.getStore();
    // Requests outside a delivery (enrichment lookups, deletions) are not the subject of a revocation check.
    if (!scope) return () => undefined;
    const release = this.board.hold(this.entry, scope.slots, scope.checkpoint);
    if (!release) throw new SendRevokedError();
    scope.callHold?.();
    scope.callHold = undefined;
    return release;
  };

  private slotsOf(events: readonly CanonicalEvent[]): number[] {
    return events.flatMap((event) => {
      let slots = this.slotsByEvent.get(event);
      if (!slots) this.slotsByEvent.set(event, (slots = slotsOf(eventIdentityKeys(event))));
      return slots;
    });
  }
}
