/** Sampling resolution: percentages with up to two decimals (`0.25` keeps one event in 400). */
const BUCKETS = 10_000;

/**
 * The messageId's bucket in [0, 10 000): FNV-1a with a final mix, cheap and stable across runs and machines, so the same event
 * is always kept or always left out (a retried request, a replay), and two connections sampling the same
 * percentage get the same events.
 */
export function sampleBucket(messageId: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < messageId.length; i += 1) {
    hash ^= messageId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  // murmur3's finaliser: FNV-1a alone leaves the low bits of ids that differ in their last character close.
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return (hash >>> 0) % BUCKETS;
}

/** Whether `percent` sampling keeps the event with this messageId. */
export function isSampledIn(messageId: string, percent: number): boolean {
  return sampleBucket(messageId) < Math.round(percent * (BUCKETS / 100));
}
