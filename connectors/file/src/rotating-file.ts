import { appendFileSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface RotationPolicy {
  maxBytes: number;
  maxAgeMs: number;
}

interface OpenFile {
  path: string;
  openedAt: number;
  size: number;
}

/**
 * Appends whole chunks to `<dir>/<prefix>-<timestamp>.jsonl`, starting a new file when the current one
 * would pass `maxBytes` or is older than `maxAgeMs`. One chunk is one write, so lines never interleave.
 */
export class RotatingFile {
  private current?: OpenFile;

  constructor(
    private readonly dir: string,
    private readonly prefix: string,
    private readonly policy: RotationPolicy,
  ) {
    mkdirSync(dir, { recursive: true });
    this.current = this.resumeNewest();
  }

  append(chunk: string, now = Date.now()): string {
    const bytes = Buffer.byteLength(chunk);
    if (!this.current || this.mustRotate(this.current, bytes, now)) this.current = this.open(now);
    appendFileSync(this.current.path, chunk);
    this.current.size += bytes;
    return this.current.path;
  }

  /** Every file of this writer, oldest first. */
  files(): string[] {
    return readdirSync(this.dir)
      .filter((f) => f.startsWith(`${this.prefix}-`) && f.endsWith('.jsonl'))
      .sort()
      .map((f) => join(this.dir, f));
  }

  /** Stops appending to `path`: the next chunk starts a new file, so `path` can be rewritten without losing lines. */
  release(path: string): void {
    if (this.current?.path === path) this.current = undefined;
  }

  private mustRotate(file: OpenFile, incoming: number, now: number): boolean {
    const tooBig = file.size > 0 && file.size + incoming > this.policy.maxBytes;
    return tooBig || now - file.openedAt >= this.policy.maxAgeMs;
  }

  private open(now: number): OpenFile {
    const stamp = new Date(now).toISOString().replace(/[:.]/g, '-');
    let path = join(this.dir, `${this.prefix}-${stamp}.jsonl`);
    // `_001` sorts after `.jsonl`, so files opened within one millisecond still sort in the order they were opened.
    for (let n = 1; existsSync(path); n += 1) path = join(this.dir, `${this.prefix}-${stamp}_${String(n).padStart(3, '0')}.jsonl`);
    return { path, openedAt: now, size: 0 };
  }

  /** After a restart, keep appending to the newest file while it is within the policy. */
  private resumeNewest(): OpenFile | undefined {
    const path = this.files().pop();
    if (!path) return undefined;
    const stats = statSync(path);
    return { path, openedAt: stats.birthtimeMs || stats.mtimeMs, size: stats.size };
  }
}
