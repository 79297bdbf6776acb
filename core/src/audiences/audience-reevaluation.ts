import type { Logger } from '../logging.js';
import type { AudienceEngine } from './audience-engine.js';
import type { AudienceSet } from './audience-set.js';
import type { AudienceStore, StoredEvaluation } from './audience-store.js';
import type { Clock, EvaluationProgress } from './audience-types.js';

const PAGE = 500;

interface Job {
  ruleHash: string;
  progress: StoredEvaluation;
  cancelled: boolean;
  done: Promise<void>;
}

/**
 * The background re-evaluation of every known profile after an audience is created or its rule changes, a page
 * of profiles per engine task (events keep flowing between pages). Progress is kept per audience and stored, so
 * a re-evaluation a stop interrupted starts again at the next start.
 */
export class AudienceReevaluation {
  private readonly jobs = new Map<string, Job>();
  private stopped = false;

  constructor(
    private readonly engine: AudienceEngine,
    private readonly store: AudienceStore,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  /** Starts the re-evaluations the set needs: audiences whose rule was never evaluated to the end. */
  async resume(set: AudienceSet): Promise<void> {
    for (const audience of set.audiences.values()) {
      const stored = await this.store.evaluation(audience.key);
      if (stored?.ruleHash !== audience.ruleHash || stored.state !== 'done') this.start(audience.key, audience.ruleHash);
    }
  }

  /** (Re)starts the re-evaluation of an audience; one already running for it is abandoned. */
  start(key: string, ruleHash: string): void {
    if (this.stopped) return;
    const previous = this.jobs.get(key);
    if (previous) previous.cancelled = true;
    const job: Job = {
      ruleHash,
      cancelled: false,
      progress: { ruleHash, state: 'running', evaluated: 0, total: 0, startedAt: this.clock() },
      done: Promise.resolve(),
    };
    job.done = (previous?.done ?? Promise.resolve())
      .then(() => this.runJob(key, job))
      .catch((error: unknown) => this.log.error({ err: error, audience: key }, 're-evaluating an audience failed'))
      .finally(() => {
        if (this.jobs.get(key) === job) this.jobs.delete(key);
      });
    this.jobs.set(key, job);
  }

  /** The audience was deleted: its re-evaluation stops and its progress is forgotten. */
  async forget(key: string): Promise<void> {
    const job = this.jobs.get(key);
    if (job) {
      job.cancelled = true;
      await job.done;
    }
    await this.store.deleteEvaluation(key);
  }

  /** The running re-evaluation, or the last one stored. */
  async progress(key: string): Promise<EvaluationProgress | undefined> {
    const stored = this.jobs.get(key)?.progress ?? (await this.store.evaluation(key));
    if (!stored) return undefined;
    const { ruleHash: _hash, ...progress } = stored;
    return progress;
  }

  /** Resolves once no re-evaluation runs. */
  async idle(): Promise<void> {
    while (this.jobs.size) await Promise.all([...this.jobs.values()].map((job) => job.done));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const job of this.jobs.values()) job.cancelled = true;
    await this.idle();
  }

  private async runJob(key: string, job: Job): Promise<void> {
    if (job.cancelled || this.stopped) return;
    job.progress.total = await this.store.knownProfileCount();
    await this.store.saveEvaluation(key, job.progress);
    let after: string | undefined;
    for (;;) {
      if (job.cancelled || this.stopped) return;
      const ids = await this.engine.run(async () => {
        const page = await this.store.knownProfiles(after, PAGE);
        await this.engine.evaluateNow(page, [key], 'rule_changed');
        return page;
      });
      job.progress.evaluated += ids.length;
      if (ids.length < PAGE) break;
      after = ids[ids.length - 1];
    }
    job.progress = { ...job.progress, state: 'done', finishedAt: this.clock() };
    await this.store.saveEvaluation(key, job.progress);
    this.log.info({ audience: key, evaluated: job.progress.evaluated }, 'audience re-evaluated for every known profile');
  }
}
