import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
// @ts-expect-error -- plain ESM helper shared with the benchmarks
import { startCountingSink } from '../helpers/http-sink.mjs';

const CHILD = fileURLToPath(new URL('./runtime-child.mjs', import.meta.url));
const TOTAL = 8000;

interface Child {
  process: ChildProcess;
  acked: Set<string>;
  lines: (predicate: (line: string) => boolean) => Promise<void>;
}

function startChild(args: string[]): Child {
  const child = spawn(process.execPath, [CHILD, ...args], { stdio: ['ignore', 'pipe', 'inherit'], cwd: fileURLToPath(new URL('.', import.meta.url)) });
  const acked = new Set<string>();
  const listeners = new Set<(line: string) => void>();
  let buffer = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    const lines = buffer.split('\n');
    buffer = lines.pop()!;
    for (const line of lines) {
      const ack = /^ACK (\d+) (\d+)$/.exec(line);
      if (ack) for (let i = Number(ack[1]); i <= Number(ack[2]); i += 1) acked.add(`evt-${i}`);
      for (const listener of listeners) listener(line);
    }
  });
  return {
    process: child,
    acked,
    lines: (predicate) =>
      new Promise((resolve, reject) => {
        if (predicate('')) {
          resolve();
          return;
        }
        const onExit = () => reject(new Error('the runtime process exited early'));
        child.once('exit', onExit);
        const listener = (line: string) => {
          if (predicate(line)) {
            listeners.delete(listener);
            child.off('exit', onExit);
            resolve();
          }
        };
        listeners.add(listener);
      }),
  };
}

describe('durability', () => {
  it('delivers every acknowledged event after the runtime is killed with SIGKILL mid-stream and restarted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-kill9-'));
    const sink = await startCountingSink();
    const children: ChildProcess[] = [];
    try {
      const first = startChild([dir, sink.url, 'produce', String(TOTAL)]);
      children.push(first.process);
      // Kill once delivery is well under way and acceptance is still going on.
      await sink.waitFor(() => sink.received.length >= 200, 30_000, 'the first deliveries');
      await first.lines(() => first.acked.size >= 1000);
      const exited = new Promise((resolve) => first.process.once('exit', resolve));
      first.process.kill('SIGKILL');
      await exited;
      const acked = new Set(first.acked);
      const deliveredBeforeKill = new Set(sink.received.map((r: { messageId: string }) => r.messageId)).size;
      expect(acked.size).toBeLessThan(TOTAL);

      const second = startChild([dir, sink.url, 'resume']);
      children.push(second.process);
      const seen = () => new Set(sink.received.map((r: { messageId: string }) => r.messageId));
      const allDelivered = () => {
        const ids = seen();
        return [...acked].every((id) => ids.has(id));
      };
      await sink.waitFor(allDelivered, 60_000, 'every acknowledged event');

      const delivered = seen();
      const unique = delivered.size;
      const duplicates = sink.received.length - unique;
      // Reported, not hidden: at-least-once delivery re-sends what was in flight at the kill.
      console.log(
        `kill -9 durability: acknowledged ${acked.size}, delivered before kill ${deliveredBeforeKill}, ` +
          `delivered in all ${unique}, duplicates ${duplicates} (${((duplicates / unique) * 100).toFixed(2)}%)`,
      );
      expect([...acked].filter((id) => !delivered.has(id))).toEqual([]);
    } finally {
      for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
      await sink.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
