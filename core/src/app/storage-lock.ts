import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';

/** What the lock file says about the router that holds a storage folder. */
interface Holder {
  pid: number;
  host: string;
  startedAt: string;
}

export class StorageLockedError extends Error {
  readonly code = 'STORAGE_LOCKED';
}

/** The lock files this process holds: a file naming this process that is not among them was left by an earlier one. */
const heldHere = new Set<string>();

/** True while a process with this id runs on this machine (EPERM: it runs, as another user). */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Linux's user clock ticks per second (USER_HZ), the unit of a process's start time in /proc. */
const TICKS_PER_SECOND = 100;

/** When a process started (ms since the epoch), from /proc; undefined where /proc does not tell. */
function processStartedAt(pid: number): number | undefined {
  try {
    const bootSeconds = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1]);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (in parentheses, which may hold spaces); the start time is field 22.
    const ticks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    return Number.isFinite(bootSeconds) && Number.isFinite(ticks) ? (bootSeconds + ticks / TICKS_PER_SECOND) * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/** The boot time in /proc is whole seconds: a process that started within this of the lock may have written it. */
const START_TIME_SLACK_MS = 1_000;

/**
 * True when the router named in a lock from this machine still runs. Its PID alone does not say so: after a crash
 * the PID may belong to another process (in a container, to the restarted router itself, PID 1 again).
 */
function holderRuns(file: string, holder: Holder): boolean {
  if (holder.pid === process.pid) return heldHere.has(file);
  if (!isRunning(holder.pid)) return false;
  const started = processStartedAt(holder.pid);
  const locked = Date.parse(holder.startedAt);
  return started === undefined || Number.isNaN(locked) || started <= locked + START_TIME_SLACK_MS;
}

/**
 * One router per storage folder: the queue, the graph and the privacy stores must have one writer, or two routers
 * take each other's deliveries. The lock file (`router.lock`) names the holder; a holder that no longer runs on
 * this machine left it behind, and the lock is taken over. Returns the release.
 */
export function lockStorage(storageDir: string): () => void {
  const file = resolve(join(storageDir, 'router.lock'));
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const fd = openSync(file, 'wx', 0o644);
      writeSync(fd, JSON.stringify({ pid: process.pid, host: hostname(), startedAt: new Date().toISOString() } satisfies Holder));
      closeSync(fd);
      heldHere.add(file);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        heldHere.delete(file);
        rmSync(file, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = readHolder(file);
      if (holder && (holder.host !== hostname() || holderRuns(file, holder))) {
        const where = holder.host === hostname() ? `process ${holder.pid}` : `process ${holder.pid} on ${holder.host}`;
        throw new StorageLockedError(
          `the storage folder ${storageDir} is in use by another router (${where}, started ${holder.startedAt}); ` +
            `stop that router first, or give this one its own storage.dir`,
        );
      }
      // Left behind by a router that is gone (or unreadable, from a crash while it was written).
      rmSync(file, { force: true });
    }
  }
  throw new StorageLockedError(`could not take the lock ${file}: another router took it at the same moment; try again`);
}

function readHolder(file: string): Holder | undefined {
  try {
    const holder = JSON.parse(readFileSync(file, 'utf8')) as Partial<Holder>;
    return typeof holder.pid === 'number' && typeof holder.host === 'string' ? (holder as Holder) : undefined;
  } catch {
    return undefined;
  }
}
