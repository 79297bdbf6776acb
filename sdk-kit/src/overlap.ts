/**
 * Runs `run` on every item with at most `limit` calls in flight. Items with the same lane key run one after
 * another, in the order given; items of different lanes (and items without a key) overlap.
 */
export async function runOverlapped<T>(
  items: readonly T[],
  limit: number,
  laneOf: ((item: T) => string | undefined) | undefined,
  run: (item: T) => Promise<void>,
): Promise<void> {
  const lanes: T[][] = [];
  const byKey = new Map<string, T[]>();
  for (const item of items) {
    const key = laneOf?.(item);
    if (key === undefined) {
      lanes.push([item]);
      continue;
    }
    const lane = byKey.get(key);
    if (lane) {
      lane.push(item);
    } else {
      const started = [item];
      byKey.set(key, started);
      lanes.push(started);
    }
  }
  let next = 0;
  const runner = async () => {
    while (next < lanes.length) {
      const lane = lanes[next++]!;
      for (const item of lane) await run(item);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, lanes.length)) }, runner));
}
