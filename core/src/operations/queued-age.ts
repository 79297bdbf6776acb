/** How long the oldest queued delivery has waited, in seconds to the millisecond (0 when nothing is queued). */
export function queuedAgeSeconds(oldestQueuedAt: number | undefined, now: number): number {
  // A clock stepped back would otherwise report a negative age.
  return oldestQueuedAt === undefined ? 0 : Math.max(0, now - oldestQueuedAt) / 1000;
}
