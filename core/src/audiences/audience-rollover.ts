import type { Logger } from '../logging.js';
import type { AudienceEngine } from './audience-engine.js';
import type { CompiledAudience } from './audience-set.js';
import type { AudienceStore } from './audience-store.js';
import { utcDay, type Clock } from './audience-types.js';

const LAST_DAY = 'rollover_day';
const PAGE = 500;

export interface RolloverOptions {
  /** How often the clock is looked at (default a minute); the work runs only when the UTC day has changed. */
  checkEveryMs?: number;
}

/**
 * The daily rollover: when the UTC day changes, windowed conditions count different days, so the profiles whose
 * buckets just left a window are evaluated again (members go without any new event of theirs), buckets older than
 * every window are pruned, and audiences with trait tests relative to now are evaluated for every known profile.
 * The last day handled is stored, so after a stop of several days the missed days are caught up in one go.
 */
export class AudienceRollover {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly engine: AudienceEngine,
    private readonly store: AudienceStore,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly options: RolloverOptions = {},
  ) {}

  async start(): Promise<void> {
    if ((await this.store.meta(LAST_DAY)) === undefined) await this.store.setMeta(LAST_DAY, String(utcDay(this.clock())));
    this.timer = setInterval(() => void this.check(), this.options.checkEveryMs ?? 60_000);
    this.timer.unref();
    await this.check();
  }

  /** Handles the days that began since the last check; resolves when done (checks never overlap). */
  check(): Promise<void> {
    this.running = this.running.then(() => this.rollover()).catch((error: unknown) => this.log.error({ err: error }, 'the audience day rollover failed'));
    return this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  private async rollover(): Promise<void> {
    if (this.stopped) return;
    const today = utcDay(this.clock());
    const last = Number((await this.store.meta(LAST_DAY)) ?? today);
    if (today <= last) return;
    const set = this.engine.audiences;
    for (const [signature, condition] of set.conditions) {
      const id = this.engine.conditionId(signature);
      if (id === undefined || condition.keepDays === 0) continue;
      for (const [days, audiences] of windowsOf(set.audiences, signature)) {
        // The window on day T covers [T - days, T]: the days [last - days, today - days - 1] have left it.
        await this.evaluatePages((after) => this.store.profilesWithBuckets(id, last - days, today - days - 1, after, PAGE), audiences);
      }
      await this.engine.run(() => this.store.pruneBuckets(id, today - condition.keepDays));
    }
    if (set.timeDependent.size) await this.evaluatePages((after) => this.store.knownProfiles(after, PAGE), set.timeDependent);
    await this.store.setMeta(LAST_DAY, String(today));
    this.log.debug({ day: new Date(today * 86_400_000).toISOString().slice(0, 10) }, 'audience windows moved to a new day');
  }

  /** One page per task, so events are evaluated between pages. */
  private async evaluatePages(page: (after: string | undefined) => Promise<string[]>, audiences: Iterable<string>): Promise<void> {
    const keys = [...audiences];
    let after: string | undefined;
    for (;;) {
      const ids = await this.engine.run(async () => {
        const found = await page(after);
        await this.engine.evaluateNow(found, keys, 'window_moved');
        return found;
      });
      if (ids.length < PAGE || this.stopped) return;
      after = ids[ids.length - 1];
    }
  }
}

/** The windows (in days) a condition is used with, and the audiences using each. */
function windowsOf(audiences: ReadonlyMap<string, CompiledAudience>, signature: string): Map<number, Set<string>> {
  const windows = new Map<number, Set<string>>();
  for (const [key, audience] of audiences) {
    for (const days of audience.uses.conditions.get(signature) ?? []) {
      if (days === 0) continue;
      if (!windows.has(days)) windows.set(days, new Set());
      windows.get(days)!.add(key);
    }
  }
  return windows;
}
