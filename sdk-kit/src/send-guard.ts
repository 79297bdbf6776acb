import { RetryableError } from './errors.js';
import type { CanonicalEvent } from './types.js';

/** Result code of an item the runtime's last privacy check handed back: it is checked again, never retried as is. */
export const PRIVACY_RECHECK = 'PRIVACY_RECHECK';

/**
 * The runtime's last privacy check, inside the worker. The executor asks it before each action call; the HTTP
 * client asks again right before each request leaves (`ConnectionOptions.requestGuard`). The test harness runs
 * without one.
 */
export interface SendGuard {
  /** Whether the right to send this event was revoked since the runtime checked it. */
  isRevoked(event: CanonicalEvent): boolean;
  /**
   * Runs one action call for these events, or returns `REVOKED` without calling it when one of them was revoked
   * in the meantime. Requests made inside the call are checked and held until their body has left.
   */
  during<T>(events: readonly CanonicalEvent[], call: () => T | Promise<T>): Promise<T | typeof REVOKED>;
}

export const REVOKED: unique symbol = Symbol('revoked');

/**
 * Called right before a request's bytes leave: throws `SendRevokedError` to stop it, otherwise returns the
 * function to call once the request body has been written out. Until then the guard may call `abort` (with a
 * `SendRevokedError`) when the right to send is revoked while the body is still leaving: the request is then
 * destroyed, so what was not written yet never leaves.
 */
export type RequestGuard = (abort: (error: Error) => void) => () => void;

export class SendRevokedError extends RetryableError {
  constructor() {
    super('the right to send this event was revoked after it was checked; handed back for another privacy check', { code: PRIVACY_RECHECK });
  }
}

export const recheckResult = () => new SendRevokedError().toResult();
