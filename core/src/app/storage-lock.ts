import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

/** What the lock file says about the router that holds a storage folder. */
interface Holder {
  pid: number;
  host: string;
  startedAt: string;
}

export class StorageLockedError extends Error {
  readonly code = 'STORAGE_LOCKED';
}

/** True while a process with this id runs on this machine (EPERM: it runs, as another user). */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * One router per storage folder: the queue, the graph and the privacy stores must have one writer, or two routers
 * take each other's deliveries. The lock file (`router.lock`) names the holder; a holder that no longer runs on
 * this machine left it behind, and the lock is taken over. Returns the release.
 */
export function lockStorage(storageDir: string): () => void {
  const file = join(storageDir, 'router.lock');
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const fd = openSync(file, 'wx', 0o644);
      writeSync(fd, JSON.stringify({ pid: process.pid, host: hostname(), startedAt: new Date().toISOString() } satisfies Holder));
      closeSync(fd);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        rmSync(file, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = readHolder(file);
      if (holder && (holder.host !== hostname() || isRunning(holder.pid))) {
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
