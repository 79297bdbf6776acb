import type { CanonicalEvent } from '@switchyard/sdk-kit';
import { LRUCache } from 'lru-cache';
import type { Logger } from '../logging.js';
import { addStats, evaluateProfile, type Changes, type EvaluationInput, type PeopleFacts } from './audience-evaluation.js';
import { EMPTY_SET, withDependents, type AudienceSet } from './audience-set.js';
import { EVER_DAY, type AudienceStore, type BucketDelta, type ProfileState } from './audience-store.js';
import { utcDay, type AudienceMembershipListener, type Clock, type ExitReason } from './audience-types.js';

export interface AudienceEngineDeps {
  store: AudienceStore;
  people: PeopleFacts;
  clock: Clock;
  log: Logger;
}

/** Events handed to one run at most; a burst is worked off in runs of this size, each one transaction. */
const MAX_EVENTS_PER_RUN = 1000;
/** Profiles remembered as seen (and merged ids as their survivor), so repeat traffic reads nothing for it. */
const CACHE_SIZE = 100_000;

type WorkItem = { kind: 'events'; events: CanonicalEvent[] } | { kind: 'task'; run: () => Promise<void> };

/** What changed for one profile in a run of events, deciding which audiences it is evaluated for. */
interface Touched {
  conditions: Set<string>;
  traits: boolean;
  consent: boolean;
}

/**
 * Real-time membership. Accepted events are handed over fire-and-forget (`observe`, after they are durable) and
 * worked off in runs, one at a time: a run adds each event to the day buckets of the conditions it matches (an
 * event costs only the conditions of its name), re-evaluates for each profile only the audiences that depend on
 * what changed (those conditions, traits, consent; all of them for a profile never seen), writes buckets and
 * membership changes in one transaction, then tells the listeners. Merges, erasures, re-evaluations and the daily
 * rollover run as tasks in the same line, so no two runs ever interleave.
 */
export class AudienceEngine {
  private set: AudienceSet = EMPTY_SET;
  private conditionIds = new Map<string, number>();
  private readonly listeners: AudienceMembershipListener[] = [];
  private readonly work: WorkItem[] = [];
  private pumping: Promise<void> | undefined;
  private closed = false;
  private readonly seen = new LRUCache<string, true>({ max: CACHE_SIZE });
  /** A merged profile → its survivor, for events resolved to it just before the merge. */
  private readonly survivors = new LRUCache<string, string>({ max: CACHE_SIZE });

  constructor(private readonly deps: AudienceEngineDeps) {}

  listen(listener: AudienceMembershipListener): void {
    this.listeners.push(listener);
  }

  get audiences(): AudienceSet {
    return this.set;
  }

  conditionId(signature: string): number | undefined {
    return this.conditionIds.get(signature);
  }

  /** Accepted events (after identity and the privacy gate, once durable). Returns at once; nothing here can fail the request. */
  observe(events: readonly CanonicalEvent[]): void {
    if (this.closed) return;
    for (const event of events) {
      if (event.profileId === undefined) continue;
      const last = this.work[this.work.length - 1];
      if (last?.kind === 'events' && last.events.length < MAX_EVENTS_PER_RUN) last.events.push(event);
      else this.work.push({ kind: 'events', events: [event] });
    }
    this.pump();
  }

  /** Runs `task` in line with event runs: after every event observed before it, before any observed after. */
  run<T>(task: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.work.push({ kind: 'task', run: () => task().then(resolve, reject) });
      this.pump();
    });
  }

  /** Makes a new set of audiences the one evaluated; conditions no audience uses any more lose their buckets. */
  useSet(set: AudienceSet): Promise<void> {
    return this.run(async () => {
      this.conditionIds = await this.deps.store.useConditions([...set.conditions.values()]);
      this.set = set;
    });
  }

  /** Inside a task: evaluates these audiences (and those that refer to them) for these profiles, and stores the changes. */
  async evaluateNow(profileIds: readonly string[], audiences: Iterable<string> | 'all', reason: ExitReason): Promise<void> {
    if (profileIds.length === 0) return;
    const set = this.set;
    const keys = audiences === 'all' ? set.order : withDependents(set, audiences);
    const input = this.input(set);
    const states = await this.deps.store.load(profileIds, [...this.conditionIds.values()], input.today - this.maxKeepDays(set));
    const changes: Changes = { entered: [], exited: [] };
    for (const [profileId, state] of states) evaluateProfile(input, profileId, state, keys, reason, changes);
    await this.deps.store.commit({ deltas: [], known: [], ...changes });
    await this.publish(changes);
  }

  /** Two people became one: `from`'s aggregates add to `into`'s, `from` leaves its audiences, `into` is evaluated. */
  merged(from: string, into: string): Promise<void> {
    return this.run(async () => {
      this.survivors.set(from, into);
      await this.deps.store.mergeProfiles(from, into);
      await this.leaveAll([from], 'merged');
      await this.evaluateNow([into], 'all', 'no_longer_matches');
      for (const listener of this.listeners) await this.tell(() => listener.merged?.(from, into));
    });
  }

  /** A merge was undone: both halves keep what the merged person did (as privacy keeps their consent and traits). */
  split(restored: string, from: string): Promise<void> {
    return this.run(async () => {
      this.survivors.delete(restored);
      await this.deps.store.copyProfile(from, restored);
      await this.evaluateNow([restored, from], 'all', 'no_longer_matches');
    });
  }

  /** Suppressed people leave every audience (and enter none while suppressed); their aggregates stay. */
  suppressed(profileIds: readonly string[]): Promise<void> {
    return this.run(() => this.evaluateNow(profileIds, 'all', 'suppressed'));
  }

  /** Erased people leave every audience, and their aggregates and membership history are deleted. */
  erased(profileIds: readonly string[]): Promise<void> {
    return this.run(async () => {
      await this.leaveAll(profileIds, 'erased');
      await this.deps.store.eraseProfiles(profileIds);
      for (const id of profileIds) this.seen.delete(id);
    });
  }

  /** Inside a task: every current member of `audience` leaves it (the audience was deleted). */
  async emptyAudience(audience: string): Promise<void> {
    for (;;) {
      const page = await this.deps.store.members(audience, undefined, 500);
      if (page.length === 0) return;
      const at = this.deps.clock();
      const changes: Changes = { entered: [], exited: page.map((m) => ({ audience, profileId: m.profileId, at, reason: 'audience_deleted' as const })) };
      await this.deps.store.commit({ deltas: [], known: [], ...changes });
      await this.publish(changes);
    }
  }

  /** Resolves once everything observed or queued so far has been worked off. */
  async idle(): Promise<void> {
    while (this.pumping) await this.pumping;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.idle();
  }

  private async leaveAll(profileIds: readonly string[], reason: ExitReason): Promise<void> {
    const states = await this.deps.store.load(profileIds, [], 0);
    const at = this.deps.clock();
    const changes: Changes = { entered: [], exited: [] };
    for (const [profileId, state] of states) for (const audience of state.memberships) changes.exited.push({ audience, profileId, at, reason });
    await this.deps.store.commit({ deltas: [], known: [], ...changes });
    await this.publish(changes);
  }

  private pump(): void {
    if (this.pumping) return;
    this.pumping = new Promise<void>((resolve) => setImmediate(resolve))
      .then(async () => {
        for (let item = this.work.shift(); item; item = this.work.shift()) {
          try {
            const step = () => (item.kind === 'events' ? this.processEvents(item.events) : item.run());
            const exclusive = this.deps.store.exclusive?.bind(this.deps.store);
            await (exclusive ? exclusive(step) : step());
          } catch (error) {
            // A failed run (a full disk) loses its events' aggregates, never the events: they are in the queue.
            this.deps.log.error({ err: error }, 'an audience evaluation run failed');
          }
        }
      })
      .finally(() => {
        this.pumping = undefined;
        if (this.work.length) this.pump();
      });
  }

  private input(set: AudienceSet): EvaluationInput {
    const now = this.deps.clock();
    return { set, conditionIds: this.conditionIds, people: this.deps.people, now, today: utcDay(now) };
  }

  private maxKeepDays(set: AudienceSet): number {
    let days = 0;
    for (const condition of set.conditions.values()) days = Math.max(days, condition.keepDays);
    return days;
  }

  private async processEvents(events: CanonicalEvent[]): Promise<void> {
    const set = this.set;
    const input = this.input(set);
    const deltas = new Map<string, BucketDelta>();
    const touched = new Map<string, Touched>();
    for (const event of events) {
      const profileId = this.survivorOf(event.profileId!);
      let entry = touched.get(profileId);
      if (!entry) touched.set(profileId, (entry = { conditions: new Set(), traits: false, consent: false }));
      if (Object.keys(event.traits ?? {}).length) entry.traits = true;
      if (event.context?.consent) entry.consent = true;
      const conditions = event.event === undefined ? undefined : set.byEvent.get(event.event);
      if (!conditions) continue;
      const day = utcDay(Math.min(Date.parse(event.timestamp) || input.now, input.now));
      for (const condition of conditions) {
        if (condition.matches && !condition.matches(event)) continue;
        const value = condition.value?.(event);
        const id = this.conditionIds.get(condition.signature)!;
        let counted = false;
        if (condition.keepDays > 0 && day >= input.today - condition.keepDays) counted = addDelta(deltas, profileId, id, day, value);
        if (condition.keepTotal) counted = addDelta(deltas, profileId, id, EVER_DAY, value);
        if (counted) entry.conditions.add(condition.signature);
      }
    }
    // A profile seen before is read only when its changes can alter an audience; one never seen, to record it.
    const needed = [...touched].filter(([id, entry]) => !this.seen.has(id) || dependingOn(set, entry).length > 0).map(([id]) => id);
    if (needed.length === 0 && deltas.size === 0) return;
    const seen = new Set(needed.filter((id) => this.seen.has(id)));
    const states = await this.deps.store.load(needed, [...this.conditionIds.values()], input.today - this.maxKeepDays(set), seen);
    for (const delta of deltas.values()) applyDelta(states.get(delta.profileId), delta);
    const changes: Changes = { entered: [], exited: [] };
    const known: string[] = [];
    for (const [profileId, state] of states) {
      if (!state.known) known.push(profileId);
      const entry = touched.get(profileId)!;
      const keys = state.known ? dependingOn(set, entry) : set.order;
      evaluateProfile(input, profileId, state, keys, 'no_longer_matches', changes);
    }
    await this.deps.store.commit({ deltas: [...deltas.values()], known, ...changes });
    for (const id of needed) this.seen.set(id, true);
    await this.publish(changes);
  }

  private survivorOf(profileId: string): string {
    let id = profileId;
    // A chain of merges is short; the bound keeps a corrupted cache from looping.
    for (let hops = 0; hops < 16; hops++) {
      const next = this.survivors.get(id);
      if (next === undefined) return id;
      id = next;
    }
    return id;
  }

  private async publish(changes: Changes): Promise<void> {
    if (this.listeners.length === 0) return;
    for (const change of changes.exited) {
      for (const listener of this.listeners) await this.tell(() => listener.exited(change.audience, change.profileId, change.at, change.reason));
    }
    for (const change of changes.entered) {
      for (const listener of this.listeners) await this.tell(() => listener.entered(change.audience, change.profileId, change.at));
    }
  }

  private async tell(call: () => void | Promise<void>): Promise<void> {
    try {
      await call();
    } catch (error) {
      this.deps.log.error({ err: error }, 'an audience membership listener failed');
    }
  }
}

/** The audiences a profile's changes can alter, with those that refer to them, in evaluation order. */
function dependingOn(set: AudienceSet, touched: Touched): string[] {
  const keys = new Set<string>();
  for (const signature of touched.conditions) for (const key of set.byCondition.get(signature) ?? []) keys.add(key);
  if (touched.traits) for (const key of set.traitAudiences) keys.add(key);
  if (touched.consent) for (const key of set.consentAudiences) keys.add(key);
  return keys.size ? withDependents(set, keys) : [];
}

function addDelta(deltas: Map<string, BucketDelta>, profileId: string, conditionId: number, day: number, value: number | undefined): true {
  const key = `${profileId}\u0000${conditionId}\u0000${day}`;
  let delta = deltas.get(key);
  if (!delta) deltas.set(key, (delta = { profileId, conditionId, day, count: 0, sum: 0 }));
  delta.count += 1;
  if (value !== undefined) {
    delta.sum += value;
    delta.min = delta.min === undefined ? value : Math.min(delta.min, value);
    delta.max = delta.max === undefined ? value : Math.max(delta.max, value);
  }
  return true;
}

function applyDelta(state: ProfileState | undefined, delta: BucketDelta): void {
  if (!state) return;
  let days = state.buckets.get(delta.conditionId);
  if (!days) state.buckets.set(delta.conditionId, (days = new Map()));
  const stats = days.get(delta.day) ?? { count: 0, sum: 0 };
  addStats(stats, delta);
  days.set(delta.day, stats);
}
