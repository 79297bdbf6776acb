import { createReadStream } from 'node:fs';
import { open, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { createInterface } from 'node:readline';

/** One line of a JSON Lines file, with its parsed value (undefined when the line is not JSON). */
export interface JsonLine {
  text: string;
  record: unknown;
}

/** The lines of a JSON Lines file, read as a stream so a large file never sits in memory whole. */
export async function* readJsonLines(path: string): AsyncGenerator<JsonLine> {
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  for await (const text of lines) {
    if (text === '') continue;
    let record: unknown;
    try {
      record = JSON.parse(text);
    } catch {
      record = undefined;
    }
    yield { text, record };
  }
}

const FLUSH_BYTES = 256 * 1024;

/**
 * Rewrites `path` without the lines `drop` selects: the kept lines go to a temporary file beside it, which is
 * synced and renamed over the original, so a crash leaves either the old file or the new one, never half of
 * one. Lines that are not JSON are kept (they cannot be attributed to anyone). Returns how many lines went.
 * The caller must make sure nothing appends to `path` meanwhile.
 */
export async function rewriteWithout(path: string, drop: (record: unknown) => boolean): Promise<number> {
  const temporary = join(dirname(path), `.${basename(path)}.erasing`);
  const { mode } = await stat(path);
  const out = await open(temporary, 'w', mode);
  let removed = 0;
  try {
    let pending: string[] = [];
    let size = 0;
    for await (const { text, record } of readJsonLines(path)) {
      if (record !== undefined && drop(record)) {
        removed += 1;
        continue;
      }
      pending.push(text, '\n');
      size += text.length + 1;
      if (size >= FLUSH_BYTES) {
        await out.write(pending.join(''));
        pending = [];
        size = 0;
      }
    }
    if (pending.length) await out.write(pending.join(''));
    await out.sync();
  } finally {
    await out.close();
  }
  if (removed === 0) {
    await unlink(temporary);
    return 0;
  }
  await rename(temporary, path);
  await syncDirectory(dirname(path));
  return removed;
}

/** Makes the rename durable: without it a crash could bring the old file, and the erased lines, back. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } catch {
    // Some filesystems refuse fsync on a directory; the rename itself has still happened.
  } finally {
    await handle.close();
  }
}
