import { timingSafeEqual } from 'node:crypto';

/** Compares a credential without leaking, through timing, how much of it matched. */
export function constantTimeEqual(expected: string, given: string): boolean {
  const left = Buffer.from(expected);
  const right = Buffer.from(given);
  return left.length === right.length && timingSafeEqual(left, right);
}
