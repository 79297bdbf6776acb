import type { CanonicalEvent } from '@switchyard/sdk-kit';
import type { ResolvedSource } from '../config/resolve-config.js';
import { RequestError } from '../http-input/request-error.js';
import type { EventIntake, IntakeResult } from '../intake/event-intake.js';

/**
 * The events of a valid request could not be stored durably (disk full, queue closed): the only failure
 * answered with 503, so the client retries. A failure before the intake is the request's fault (4xx) or
 * a bug (500), never a reason to retry.
 */
export class NotStoredError extends Error {
  constructor(cause: unknown) {
    super('the events could not be stored', { cause });
  }
}

export async function storeEvents(intake: EventIntake, source: ResolvedSource, events: CanonicalEvent[]): Promise<IntakeResult> {
  try {
    return await intake.accept(source, events);
  } catch (cause) {
    throw new NotStoredError(cause);
  }
}

/** The answer to a request that failed for a reason other than its content: 503 when not stored, else 500. */
export function failureOf(error: unknown): RequestError {
  return error instanceof NotStoredError
    ? new RequestError(503, 'NOT_STORED', [], 'the events could not be stored; nothing was accepted, retry later')
    : new RequestError(500, 'INTERNAL_ERROR', [], 'the router failed to read this request and stored nothing; this is a bug, please report it');
}
