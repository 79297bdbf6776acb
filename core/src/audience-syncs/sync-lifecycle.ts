import { randomUUID } from 'node:crypto';
import type { ListMembersOutcome } from '@switchyard/sdk-kit';
import type { Clock } from '../audiences/audience-types.js';
import type { Logger } from '../logging.js';
import { profileIdsOf } from '../vocabulary/identity-types.js';
import { heldKey, type AudienceSyncs } from './audience-syncs.js';
import type { SyncedMembers } from './synced-members.js';
import { ERROR_SAMPLES, publicError, type LiveRun, type SyncRun, type SyncRunKind, type SyncRuns } from './sync-runs.js';
import type { AudienceSyncConfig, QueuedSyncChange, SyncChangeRecorder } from './sync-types.js';

/** What a sync is doing, for the admin API (docs/audiences.md#run-history). */
export interface SyncStatus {
  audience: string;
  connection: string;
  mode: AudienceSyncConfig['mode'];
  as: AudienceSyncConfig['as'];
  every: string | null;
  state: 'backfilling' | 'reconciling' | 'live';
  members: number;
  current: SyncRun | null;
  lastRun: SyncRun | null;
}

/** What the delivery runtime reports of a settled batch (its `settled` event), as far as runs count it. */
export interface SettledDeliveries {
  delivered: readonly string[];
  deadLettered: readonly string[];
  dropped: readonly string[];
  okCodes?: Record<string, string>;
  failures?: ReadonlyArray<{ messageId: string; outcome: string; code: string; message?: string }>;
}

export interface SyncLifecycleDeps {
  syncs: () => readonly AudienceSyncConfig[];
  audienceSyncs: Pick<AudienceSyncs, 'backfillPage' | 'reconcilePage' | 'removeHeld'>;
  runs: SyncRuns;
  members: Pick<SyncedMembers, 'countAdded' | 'forgetSync'>;
  /** How many members the audience has now. */
  memberCount: (audience: string) => Promise<number>;
  /** One page of what the sync's destination audience holds (the connector's `listMembers`, in a worker). */
  listDestination: (sync: AudienceSyncConfig, cursor: string | undefined) => Promise<ListMembersOutcome>;
  clock: Clock;
  log: Logger;
  /** Members read from the audience store per step (default 500). */
  pageSize?: number;
  /** How often due reconciliations and finished hours are looked for (default 30 s). */
  tickMs?: number;
}

export type StartResult = { run: SyncRun } | { notFound: true } | { conflict: string; code: 'SYNC_BUSY' | 'SYNC_NOT_MIRROR' };

const HOUR_MS = 3_600_000;
const ERASED_KEPT = 10_000;
/** A sync's settings as compared across reloads. */
const settingsOf = (sync: AudienceSyncConfig) => JSON.stringify(sync.settings);
const keyOf = (audience: string, connection: string) => `${audience}\u0000${connection}`;

interface Pending {
  run: LiveRun;
  action: QueuedSyncChange['action'];
  profileId?: string;
}

/**
 * The lifecycle of each sync around its live changes: a backfill of the audience's members when the sync is new (or
 * on request), periodic reconciliations for `mirror` syncs, and the run history. Every delivery a sync queues belongs
 * to a run (live changes to the hour's `changes` run) and is counted when its outcome settles: added, removed,
 * unmatched (the destination accepts none of the person's identifiers), failed (dead-lettered).
 */
export class SyncLifecycle implements SyncChangeRecorder {
  /** The running backfill or reconciliation of each sync. */
  private readonly current = new Map<string, LiveRun>();
  /** The open `changes` run of each sync, and the hour it covers. */
  private readonly changes = new Map<string, { run: LiveRun; hour: number }>();
  private readonly pending = new Map<string, Pending>();
  private readonly pendingByRun = new Map<string, number>();
  /** Runs still queuing their changes (not finished even when nothing is pending). */
  private readonly queuing = new Set<string>();
  /** Runs that failed as a whole (a listing refused, the store unreadable). */
  private readonly broken = new Set<string>();
  private readonly tasks = new Set<Promise<void>>();
  /** People erased lately: a failure of their removal that settles later keeps no sample naming them. */
  private readonly erasedProfiles = new Set<string>();
  private timer?: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly deps: SyncLifecycleDeps) {}

  /** At start (connections running): syncs never backfilled are backfilled; reconciliations are scheduled. */
  start(): void {
    this.refresh();
    this.timer = setInterval(() => this.tick(), this.deps.tickMs ?? 30_000);
    this.timer.unref();
  }

  /**
   * After a reload (and at start): each sync that was never backfilled gets its backfill. A sync whose settings changed
   * since its backfill (another destination list) is a new sync: what it sent before is forgotten, and it is backfilled.
   */
  refresh(): void {
    for (const sync of this.deps.syncs()) {
      if (this.current.has(keyOf(sync.audience, sync.connection))) continue;
      const state = this.deps.runs.state(sync.audience, sync.connection);
      if (state.backfilledAt && state.settings === settingsOf(sync)) continue;
      if (state.backfilledAt) this.deps.members.forgetSync(sync.audience, sync.connection);
      this.begin(sync, 'backfill');
    }
  }

  backfill(audience: string, connection: string): StartResult {
    const sync = this.syncOf(audience, connection);
    if (!sync) return { notFound: true };
    const running = this.current.get(keyOf(audience, connection));
    if (running) return { conflict: `a ${running.kind} of this sync is running (run ${running.id}); wait for it to finish`, code: 'SYNC_BUSY' };
    return { run: this.begin(sync, 'backfill') };
  }

  reconcile(audience: string, connection: string): StartResult {
    const sync = this.syncOf(audience, connection);
    if (!sync) return { notFound: true };
    if (sync.mode !== 'mirror') {
      return { conflict: `the sync's mode is "${sync.mode}"; only mirror syncs are reconciled (set mode: mirror and every)`, code: 'SYNC_NOT_MIRROR' };
    }
    const running = this.current.get(keyOf(audience, connection));
    if (running) return { conflict: `a ${running.kind} of this sync is running (run ${running.id}); wait for it to finish`, code: 'SYNC_BUSY' };
    return { run: this.begin(sync, 'reconcile') };
  }

  list(): SyncStatus[] {
    return this.deps.syncs().map((sync) => this.statusOf(sync));
  }

  status(audience: string, connection: string): { sync: SyncStatus; runs: SyncRun[] } | undefined {
    const sync = this.syncOf(audience, connection);
    if (!sync) return undefined;
    this.finishHours();
    return { sync: this.statusOf(sync), runs: this.deps.runs.list(audience, connection).map((run) => this.fresh(audience, connection, run)) };
  }

  run(audience: string, connection: string, id: string): SyncRun | undefined {
    if (!this.syncOf(audience, connection)) return undefined;
    const run = this.deps.runs.get(audience, connection, id);
    return run && this.fresh(audience, connection, run);
  }

  /** Deliveries a sync queued: counted in their run when they settle. */
  queued(sync: AudienceSyncConfig, changes: readonly QueuedSyncChange[], runId?: string): void {
    if (!changes.length) return;
    const key = keyOf(sync.audience, sync.connection);
    const current = this.current.get(key);
    const run = runId !== undefined && current?.id === runId ? current : this.changesRun(sync);
    if (run.kind === 'changes') run.processed += changes.length;
    for (const change of changes) {
      this.pending.set(change.messageId, { run, action: change.action, ...(change.profileId !== undefined ? { profileId: change.profileId } : {}) });
    }
    this.pendingByRun.set(run.id, (this.pendingByRun.get(run.id) ?? 0) + changes.length);
    if (run.kind === 'changes') this.deps.runs.save(run);
  }

  /** A settled batch of the delivery runtime: the sync deliveries in it are counted in their runs. */
  settled(batch: SettledDeliveries): void {
    const touched = new Set<LiveRun>();
    const settle = (messageId: string, count: (p: Pending) => void) => {
      const pending = this.pending.get(messageId);
      if (!pending) return;
      this.pending.delete(messageId);
      this.pendingByRun.set(pending.run.id, (this.pendingByRun.get(pending.run.id) ?? 1) - 1);
      count(pending);
      touched.add(pending.run);
    };
    for (const messageId of batch.delivered) {
      settle(messageId, ({ run, action }) => {
        const code = batch.okCodes?.[messageId];
        // A later change of the same person in the same task replaced it: that one is counted.
        if (code === 'SUPERSEDED') return;
        if (code === 'UNMATCHED') run.unmatched += 1;
        else if (action === 'add') run.added += 1;
        else run.removed += 1;
      });
    }
    const failures = new Map((batch.failures ?? []).map((f) => [f.messageId, f]));
    for (const messageId of batch.deadLettered) {
      settle(messageId, ({ run, profileId }) => {
        run.failed += 1;
        const failure = failures.get(messageId);
        this.sample(run, failure?.code ?? 'DEAD_LETTERED', failure?.message ?? 'the delivery was dead-lettered', profileId);
      });
    }
    // Left out by the privacy gate at delivery (suppressed or erased meanwhile): nothing reached the destination.
    for (const messageId of batch.dropped) settle(messageId, () => undefined);
    for (const run of touched) {
      this.deps.runs.save(run);
      this.maybeFinish(run);
    }
  }

  /** A data-subject erasure: error samples about the person go, and their identifiers are cut out of any other. */
  erased(identityKeys: readonly string[]): void {
    const profiles = new Set(profileIdsOf(identityKeys));
    for (const id of profiles) this.erasedProfiles.add(id);
    while (this.erasedProfiles.size > ERASED_KEPT) this.erasedProfiles.delete(this.erasedProfiles.values().next().value!);
    const values = identityKeys.filter((key) => !key.startsWith('profile:')).map((key) => key.slice(key.indexOf(':') + 1));
    const live = [...this.current.values(), ...[...this.changes.values()].map((c) => c.run)];
    this.deps.runs.purge(profiles, values, live);
    for (const run of live) this.deps.runs.save(run);
  }

  /** Resolves once every backfill and reconciliation started so far has queued its changes (tests, the benchmark). */
  async idle(): Promise<void> {
    while (this.tasks.size) await Promise.all([...this.tasks]);
  }

  /** Stops scheduling; runs in progress stop at their next step (marked failed, and picked up at the next start). */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await Promise.all([...this.tasks]).catch(() => undefined);
    // An hour of live changes ends with the router: what settled so far is its count.
    for (const { run } of this.changes.values()) {
      run.status = 'succeeded';
      run.finishedAt = new Date(this.deps.clock()).toISOString();
      this.deps.runs.save(run);
    }
    this.changes.clear();
  }

  private begin(sync: AudienceSyncConfig, kind: 'backfill' | 'reconcile'): LiveRun {
    const run = this.newRun(sync, kind);
    this.current.set(keyOf(sync.audience, sync.connection), run);
    this.queuing.add(run.id);
    const task = (kind === 'backfill' ? this.runBackfill(sync, run) : this.runReconcile(sync, run))
      .catch((error: unknown) => {
        this.broken.add(run.id);
        this.sample(run, kind === 'backfill' ? 'BACKFILL_FAILED' : 'RECONCILE_FAILED', (error as Error).message);
        this.deps.log.error({ err: error, audience: sync.audience, connection: sync.connection }, `audience sync ${kind} failed`);
      })
      .finally(() => {
        this.queuing.delete(run.id);
        this.deps.runs.save(run);
        this.maybeFinish(run);
        this.tasks.delete(task);
      });
    this.tasks.add(task);
    return run;
  }

  private async runBackfill(sync: AudienceSyncConfig, run: LiveRun): Promise<void> {
    run.total = await this.deps.memberCount(sync.audience);
    this.deps.runs.save(run);
    await this.eachMemberPage((after, limit) => this.deps.audienceSyncs.backfillPage(sync, after, limit, run.id), run);
    run.total = Math.max(run.total, run.processed);
    this.deps.runs.markBackfilled(sync.audience, sync.connection, new Date(this.deps.clock()).toISOString(), settingsOf(sync));
  }

  /**
   * Lists the destination audience, then pages through the members (adding whom it lacks), then removes whom it holds
   * and should not. Holds the destination's identifiers in memory for the length of the run.
   */
  private async runReconcile(sync: AudienceSyncConfig, run: LiveRun): Promise<void> {
    const listed: Array<Record<string, string>> = [];
    let cursor: string | undefined;
    do {
      if (this.closed) throw new Error('the router is stopping');
      const page = await this.deps.listDestination(sync, cursor);
      if (page.result.status !== 'ok')
        throw Object.assign(new Error(page.result.message ?? 'listing the destination audience failed'), { code: page.result.code });
      listed.push(...page.members.map((m) => m.identifiers));
      cursor = page.next;
    } while (cursor !== undefined);
    const held = new Set(listed.flatMap((identifiers) => Object.entries(identifiers).map(([type, value]) => heldKey(type, value))));
    run.total = (await this.deps.memberCount(sync.audience)) + listed.length;
    this.deps.runs.save(run);
    await this.eachMemberPage((after, limit) => this.deps.audienceSyncs.reconcilePage(sync, after, limit, run.id, held), run);
    const extra = listed.filter((identifiers) => Object.entries(identifiers).every(([type, value]) => held.has(heldKey(type, value))));
    await this.deps.audienceSyncs.removeHeld(sync, extra, run.id);
    run.processed += listed.length;
    run.total = Math.max(run.total, run.processed);
    this.deps.runs.markReconciled(sync.audience, sync.connection, new Date(this.deps.clock()).toISOString());
  }

  private async eachMemberPage(step: (after: string | undefined, limit: number) => Promise<string[]>, run: LiveRun): Promise<void> {
    const limit = this.deps.pageSize ?? 500;
    let after: string | undefined;
    for (;;) {
      if (this.closed) throw new Error('the router is stopping');
      const page = await step(after, limit);
      run.processed += page.length;
      this.deps.runs.save(run);
      if (page.length < limit) return;
      after = page[page.length - 1];
    }
  }

  private newRun(sync: AudienceSyncConfig, kind: SyncRunKind): LiveRun {
    const run: LiveRun = {
      audience: sync.audience,
      connection: sync.connection,
      id: randomUUID(),
      kind,
      status: 'running',
      startedAt: new Date(this.deps.clock()).toISOString(),
      finishedAt: null,
      total: null,
      processed: 0,
      added: 0,
      removed: 0,
      unmatched: 0,
      failed: 0,
      errors: [],
      errorSamples: [],
    };
    this.deps.runs.insert(run);
    return run;
  }

  /** Live changes go to the sync's run of the current hour, opened at its first change. */
  private changesRun(sync: AudienceSyncConfig): LiveRun {
    const key = keyOf(sync.audience, sync.connection);
    const hour = Math.floor(this.deps.clock() / HOUR_MS);
    const open = this.changes.get(key);
    if (open && open.hour === hour) return open.run;
    const run = this.newRun(sync, 'changes');
    this.changes.set(key, { run, hour });
    if (open) this.maybeFinish(open.run);
    return run;
  }

  private sample(run: LiveRun, code: string, message: string, profileId?: string): void {
    if (run.errorSamples.length >= ERROR_SAMPLES || (profileId !== undefined && this.erasedProfiles.has(profileId))) return;
    run.errorSamples.push({ at: new Date(this.deps.clock()).toISOString(), code, message, ...(profileId !== undefined ? { profileId } : {}) });
    run.errors = run.errorSamples.map(publicError);
  }

  /** A run is finished once it queued everything and every outcome settled (a `changes` run, once its hour is over). */
  private maybeFinish(run: LiveRun): void {
    if (run.status !== 'running' || (this.pendingByRun.get(run.id) ?? 0) > 0) return;
    const key = keyOf(run.audience, run.connection);
    if (run.kind === 'changes') {
      const open = this.changes.get(key);
      if (open?.run === run && open.hour === Math.floor(this.deps.clock() / HOUR_MS)) return;
      if (open?.run === run) this.changes.delete(key);
    } else {
      if (this.queuing.has(run.id)) return;
      if (this.current.get(key) === run) this.current.delete(key);
    }
    run.status = this.broken.delete(run.id) ? 'failed' : 'succeeded';
    run.finishedAt = new Date(this.deps.clock()).toISOString();
    this.pendingByRun.delete(run.id);
    this.deps.runs.save(run);
  }

  private finishHours(): void {
    for (const { run } of [...this.changes.values()]) this.maybeFinish(run);
  }

  private tick(): void {
    this.finishHours();
    if (this.closed) return;
    const now = this.deps.clock();
    for (const sync of this.deps.syncs()) {
      if (sync.mode !== 'mirror' || !sync.every || this.current.has(keyOf(sync.audience, sync.connection))) continue;
      const state = this.deps.runs.state(sync.audience, sync.connection);
      const since = state.reconciledAt ?? state.backfilledAt;
      if (since && Date.parse(since) + sync.every.ms <= now) this.begin(sync, 'reconcile');
    }
  }

  private syncOf(audience: string, connection: string): AudienceSyncConfig | undefined {
    return this.deps.syncs().find((s) => s.audience === audience && s.connection === connection);
  }

  /** A run as stored, or the live one's counts when it is still being counted. */
  private fresh(audience: string, connection: string, run: SyncRun): SyncRun {
    const key = keyOf(audience, connection);
    const live = [this.current.get(key), this.changes.get(key)?.run].find((r) => r?.id === run.id);
    return live ? publicRun(live) : run;
  }

  private statusOf(sync: AudienceSyncConfig): SyncStatus {
    const current = this.current.get(keyOf(sync.audience, sync.connection));
    const last = this.deps.runs.lastFinished(sync.audience, sync.connection);
    return {
      audience: sync.audience,
      connection: sync.connection,
      mode: sync.mode,
      as: sync.as,
      every: sync.every?.text ?? null,
      state: current ? (current.kind === 'backfill' ? 'backfilling' : 'reconciling') : 'live',
      members: this.deps.members.countAdded(sync.audience, sync.connection),
      current: current ? publicRun(current) : null,
      lastRun: last ?? null,
    };
  }
}

function publicRun(run: LiveRun): SyncRun {
  const { audience: _a, connection: _c, errorSamples: _e, ...rest } = run;
  return { ...rest, errors: [...rest.errors] };
}
