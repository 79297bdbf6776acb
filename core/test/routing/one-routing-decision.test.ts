import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Files (relative to core/src) that contain `pattern`, outside `allowed`. */
function offenders(pattern: RegExp, allowed: (file: string) => boolean): string[] {
  return sourceFiles(SRC)
    .map((file) => relative(SRC, file))
    .filter((file) => !allowed(file) && pattern.test(readFileSync(join(SRC, file), 'utf8')));
}

/**
 * Every path that queues a delivery must go through the routing decision (routing/event-routing.ts), which
 * applies fan-out and the privacy gate and stamps the privacy version. A new path that builds queue records or
 * writes to the queue itself fails here.
 */
describe('one routing decision', () => {
  it('builds queue records only in the routing decision', () => {
    expect(offenders(/\bacceptedEvent\(/, (f) => f === 'routing/event-routing.ts' || f === 'routing/accepted-event.ts')).toEqual([]);
  });

  it('hands deliveries to the runtime only from the routing decision', () => {
    expect(offenders(/\b(runtime|deliveries)\??\.accept\(/, (f) => f.startsWith('routing/'))).toEqual([]);
  });

  it('writes to the queue only in the delivery runtime and the queue itself', () => {
    // Calls into the routing decision itself (`routing.replayDeadLetters`) are the way in, not around it.
    expect(
      offenders(
        /(?<!\brouting)\.(enqueue|replayDeadLetters)\(/,
        (f) => f.startsWith('queue/') || f.startsWith('routing/') || f === 'delivery/delivery-runtime.ts',
      ),
    ).toEqual([]);
  });
});
