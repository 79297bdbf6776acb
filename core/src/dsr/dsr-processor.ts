import { randomBytes, randomUUID } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { SubjectRecord } from '@switchyard/sdk-kit';
import type { DeliveryQueue } from '../queue/delivery-queue.js';
import type { Logger } from '../logging.js';
import type { ProfileStore } from '../profiles/profile-store.js';
import type { PrivacyAudit } from '../privacy/privacy-audit.js';
import type { PrivacyGate } from '../privacy/privacy-gate.js';
import type { SuppressionStore } from '../privacy/suppression-store.js';
import type { DsrStore } from './dsr-store.js';
import { allSettled, forwardPerSet, forwardToEach, outcomeOf, type SubjectRequestForwarder } from './connection-forwarding.js';
import type { DsrRecord, RequestStatus } from './dsr-types.js';
import type { DsrSigner } from './signing.js';
import { sendStatusCallbacks, type CallbackOptions } from './status-callbacks.js';
import { writeSubjectExport } from './subject-export.js';
import { canonicalIdentities } from './subject-identities.js';
import { subjectPerson } from './subject-person.js';
import type { IdentityGraph } from '../identity/identity-graph.js';

export type { SubjectRequestForwarder } from './connection-forwarding.js';

/** Rounds after the first: a request a connection failed is tried again this long after, doubling up to the max. */
export const DEFAULT_ROUND_RETRY = { baseDelayMs: 30_000, maxDelayMs: 3_600_000 };
/** How long a claim on a request lasts unless its processor renews it (every third of it) or releases it. */
export const DEFAULT_CLAIM_LEASE_MS = 60_000;
/** How often a processor looks in the store for due requests that no timer of its own will run. */
export const DEFAULT_SWEEP_INTERVAL_MS = 5_000;

/** What one round learnt: the longest wait a failed connection asked for. */
interface Round {
  retryAfterMs: number;
}

export interface DsrProcessorOptions {
  /** How long a request stays pending (and cancellable) before processing starts. */
  gracePeriodMs: number;
  /** How long an access/portability export stays downloadable. */
  resultsTtlMs: number;
  /** Calls to one connection in a round before it is marked failed. */
  forwardAttempts: number;
  /** When to start another round after one left a connection failed (default DEFAULT_ROUND_RETRY). */
  roundRetry?: { baseDelayMs: number; maxDelayMs: number };
  exportDir: string;
  callbacks?: CallbackOptions;
  claimLeaseMs?: number;
  /** Finds requests another processor sharing the store accepted, or left when it stopped (default DEFAULT_SWEEP_INTERVAL_MS). */
  sweepIntervalMs?: number;
}

export interface DsrProcessorDeps {
  store: DsrStore;
  signer: DsrSigner;
  queue: DeliveryQueue;
  profiles: ProfileStore;
  suppressions: SuppressionStore;
  gate: PrivacyGate;
  /** The identity graph: erasure removes the person from it, with tombstones. */
  identity: Pick<IdentityGraph, 'erase'>;
  audit: PrivacyAudit;
  forwarder: SubjectRequestForwarder;
  log: Logger;
}

/**
 * Carries data-subject requests from pending to completed: erasure purges what Switchyard holds and
 * forwards the deletion to connectors; access and portability produce a JSON Lines export of what
 * Switchyard holds and what connectors read back. A request is completed only once every connection has
 * answered; while one keeps failing it stays in_progress and is tried again in later rounds (with backoff,
 * and at once after a restart). Each round runs under a claim in the store, so processors sharing it (routers on
 * one PostgreSQL schema) run a request's round once: whichever claims it first, the others leave it.
 */
export class DsrProcessor {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Who holds this processor's claims in the store. */
  private readonly owner = randomUUID();
  private readonly processing = new Set<string>();
  private sweeper?: NodeJS.Timeout;
  private readonly running = new Set<Promise<void>>();
  /** Callbacks of one request go out in order: pending before in_progress before completed. */
  private readonly callbackChains = new Map<string, Promise<void>>();
  private stopped = false;
  private requestStop!: () => void;
  private readonly stopRequested = new Promise<void>((resolve) => {
    this.requestStop = resolve;
  });

  constructor(
    private readonly deps: DsrProcessorDeps,
    private readonly options: DsrProcessorOptions,
  ) {}

  /**
   * Picks up requests a previous run left unfinished, failed connections included, then keeps looking for due
   * requests that no timer here runs (accepted by another processor sharing the store, or left by one that stopped).
   */
  async resume(): Promise<void> {
    for (const record of await this.deps.store.unfinished()) this.schedule(record, 0, true);
    this.sweeper = setInterval(() => {
      this.sweep().catch((error: unknown) => this.deps.log.warn({ err: error }, 'could not look for due data-subject requests'));
    }, this.options.sweepIntervalMs ?? DEFAULT_SWEEP_INTERVAL_MS);
    this.sweeper.unref();
  }

  /** Stores and schedules a new request; false when one with its id exists already. */
  async accept(record: DsrRecord): Promise<boolean> {
    if (!(await this.deps.store.insert(record))) return false;
    this.notify(record);
    this.schedule(record, this.options.gracePeriodMs);
    return true;
  }

  /** Cancels a pending request; undefined when it has already started (or is not there). */
  async cancel(id: string): Promise<DsrRecord | undefined> {
    const record = await this.deps.store.get(id);
    if (!record || record.status !== 'pending') return undefined;
    record.status = 'cancelled';
    record.updatedAt = new Date().toISOString();
    // Refused when a processor (here or elsewhere) has claimed it since it was read.
    if (!(await this.deps.store.cancel(record))) return undefined;
    clearTimeout(this.timers.get(id));
    this.timers.delete(id);
    this.notify(record);
    return record;
  }

  /** Runs the stored requests that are due and that no timer here will run. */
  async sweep(): Promise<void> {
    if (this.stopped) return;
    const now = Date.now();
    for (const record of await this.deps.store.unfinished()) {
      if (this.timers.has(record.id) || this.processing.has(record.id) || this.dueAt(record) > now) continue;
      this.schedule(record, 0);
    }
  }

  /** When the next round of a request may start: after its grace period, or when its retry is due. */
  private dueAt(record: DsrRecord): number {
    if (record.retry) return Date.parse(record.retry.nextAttemptAt);
    if (record.status === 'pending') return Date.parse(record.receivedAt) + this.options.gracePeriodMs;
    return Date.parse(record.receivedAt);
  }

  statusBody(record: DsrRecord, callbackUrl?: string): Record<string, unknown> {
    return {
      controller_id: 'switchyard',
      expected_completion_time: record.expectedCompletionAt,
      subject_request_id: record.id,
      request_status: record.status,
      api_version: record.request.api_version ?? '1.0',
      ...(callbackUrl ? { status_callback_url: callbackUrl } : {}),
      ...(record.resultsToken ? { results_url: `${record.resultsBaseUrl}/opendsr/v1/results/${record.resultsToken}`, results_count: record.resultsCount } : {}),
      extensions: {
        [this.deps.signer.processorDomain]: {
          connections: record.connections,
          ...(record.resultsExpireAt ? { results_expire_at: record.resultsExpireAt } : {}),
          ...(record.retry ? { next_attempt_at: record.retry.nextAttemptAt } : {}),
        },
      },
    };
  }

  /** `now`: run the round even if the stored retry is not due yet (a restart tries failed connections at once). */
  private schedule(record: DsrRecord, delayMs: number, now = false): void {
    clearTimeout(this.timers.get(record.id));
    const timer = setTimeout(() => {
      this.timers.delete(record.id);
      const run = this.claimed(record.id, now, record.updatedAt).catch((error: unknown) =>
        this.deps.log.error({ err: error, request: record.id }, 'processing a data-subject request failed'),
      );
      this.running.add(run);
      void run.finally(() => this.running.delete(run));
    }, delayMs);
    timer.unref();
    this.timers.set(record.id, timer);
  }

  /**
   * Runs a round if this processor can claim the request and the round is due (`seen`: the version it was scheduled
   * from; a later one means another processor ran a round since). Renews the claim while the round runs.
   */
  private async claimed(id: string, now: boolean, seen: string): Promise<void> {
    if (this.processing.has(id) || this.stopped) return;
    this.processing.add(id);
    try {
      const leaseMs = this.options.claimLeaseMs ?? DEFAULT_CLAIM_LEASE_MS;
      const record = await this.deps.store.claim(id, this.owner, leaseMs);
      if (!record) return;
      const renewal = setInterval(() => {
        this.deps.store.claim(id, this.owner, leaseMs).catch((error: unknown) => this.deps.log.warn({ err: error, request: id }, 'could not renew a claim'));
      }, leaseMs / 3);
      renewal.unref();
      try {
        // Read after claiming: another processor may have run a round since this one scheduled it.
        if (now || record.updatedAt === seen || this.dueAt(record) <= Date.now()) await this.process(record);
      } finally {
        clearInterval(renewal);
        await this.deps.store.release(id, this.owner);
      }
      // The next round, once released: its timer must not find this one still running.
      if (!this.stopped && record.status === 'in_progress' && record.retry) this.schedule(record, Math.max(0, this.dueAt(record) - Date.now()));
    } finally {
      this.processing.delete(id);
    }
  }

  private async process(record: DsrRecord): Promise<void> {
    if (this.stopped) return;
    if (record.status !== 'in_progress') await this.transition(record, 'in_progress');
    const round = { retryAfterMs: 0 };
    let done = false;
    try {
      done = record.request.subject_request_type === 'erasure' ? await this.erase(record, round) : await this.export(record, round);
    } catch (error) {
      // Switchyard's own storage failed (a full disk writing the export): the next round tries again.
      this.deps.log.error({ err: error, request: record.id }, 'a round of a data-subject request failed');
    }
    if (this.stopped) return;
    if (!done) return this.retryLater(record, round.retryAfterMs);
    delete record.retry;
    await this.transition(record, 'completed');
  }

  /** Another round later, because a connection failed this one; no sooner than a connection asked to wait. */
  private async retryLater(record: DsrRecord, retryAfterMs: number): Promise<void> {
    const { baseDelayMs, maxDelayMs } = this.options.roundRetry ?? DEFAULT_ROUND_RETRY;
    const rounds = (record.retry?.rounds ?? 0) + 1;
    const delayMs = Math.max(retryAfterMs, Math.min(maxDelayMs, baseDelayMs * 2 ** (rounds - 1)));
    record.retry = { rounds, nextAttemptAt: new Date(Date.now() + delayMs).toISOString() };
    record.updatedAt = new Date().toISOString();
    await this.deps.store.save(record);
    const failed = Object.entries(record.connections)
      .filter(([, c]) => c.status === 'failed')
      .map(([id, c]) => ({ connection: id, error: c.error }));
    this.deps.log.warn(
      { request: record.id, failed, nextAttemptAt: record.retry.nextAttemptAt },
      'a data-subject request stays in progress: a connection failed',
    );
  }

  /** Erases what Switchyard holds, then forwards the deletion; true once every connection has settled. */
  private async erase(record: DsrRecord, round: Round): Promise<boolean> {
    // The whole person: every identifier the identity graph links to the ones named, and their profile.
    const subject = await subjectPerson(record.request.subject_identities, (identifiers) => this.deps.gate.personsOf(identifiers));
    const keys = subject.keys;
    const suppress = (record.request.extensions?.[this.deps.signer.processorDomain]?.suppress as boolean | undefined) !== false;
    if (suppress) {
      for (const [type, value] of Object.entries(canonicalIdentities(record.request.subject_identities))) {
        await this.deps.gate.suppress(type, value, `erasure ${record.id}`);
      }
    }
    // Idempotent, so a later round does it again: it catches what arrived meanwhile when suppress is false.
    await this.deps.gate.noteErasure(keys);
    const purged = await this.deps.queue.purgeIdentity(keys);
    this.deps.profiles.delete(keys);
    this.deps.audit.record('erased', {}, purged.events + purged.deadLetters);

    const running = new Set(this.deps.forwarder.connectionIds());
    // A task a worker already holds may still send the subject's events; the deletion must reach the
    // destination after them. On shutdown the request stays in_progress and resumes at the next start.
    await Promise.race([this.deps.gate.deliveriesInFlight(), this.stopRequested]);
    if (this.stopped) return false;
    // A connection that was to get the deletion stays outstanding even if it no longer runs: its destination
    // may still hold the subject's data, so it fails (NOT_RUNNING) until it runs again.
    const outstanding = [...new Set([...running, ...Object.keys(record.connections)])].filter(
      (id) => record.connections[id]?.status !== 'sent' && record.connections[id]?.status !== 'skipped',
    );
    for (const connectionId of outstanding) record.connections[connectionId] = { status: 'pending' };
    await this.deps.store.save(record);
    await forwardToEach(
      outstanding,
      (id) => forwardPerSet(subject.identitySets, (identities) => this.deps.forwarder.forwardDeletion(id, identities)),
      (id, result) => {
        round.retryAfterMs = Math.max(round.retryAfterMs, result.retryAfterMs ?? 0);
        record.connections[id] = outcomeOf(result);
        return this.deps.store.save(record);
      },
      this.forwarding(),
    );
    if (!allSettled(record.connections)) return false;
    // Last, so that a round run again still finds the whole person; tombstones keep replays from re-linking them.
    await this.deps.identity.erase(subject.persons);
    return true;
  }

  /** Reads back every connection, then writes the export; true once it is written. */
  private async export(record: DsrRecord, round: Round): Promise<boolean> {
    const subject = await subjectPerson(record.request.subject_identities, (identifiers) => this.deps.gate.personsOf(identifiers));
    const keys = subject.keys;
    // Every round reads every connection again, so the export is one consistent picture of now.
    const connectionIds = this.deps.forwarder.connectionIds();
    record.connections = Object.fromEntries(connectionIds.map((id) => [id, { status: 'pending' as const }]));
    await this.deps.store.save(record);
    const fromConnections = new Map<string, SubjectRecord[]>();
    await forwardToEach(
      connectionIds,
      (id) => forwardPerSet(subject.identitySets, (identities) => this.deps.forwarder.forwardExport(id, identities)),
      (id, result) => {
        if (result.records?.length) fromConnections.set(id, result.records);
        round.retryAfterMs = Math.max(round.retryAfterMs, result.retryAfterMs ?? 0);
        record.connections[id] = outcomeOf(result);
        return this.deps.store.save(record);
      },
      this.forwarding(),
    );
    if (this.stopped || !allSettled(record.connections)) return false;

    mkdirSync(this.options.exportDir, { recursive: true });
    const token = randomBytes(24).toString('base64url');
    const held = { profiles: this.deps.profiles, suppressions: this.deps.suppressions, queue: this.deps.queue, persons: subject.persons };
    record.resultsCount = await writeSubjectExport(this.exportFile(token), keys, held, fromConnections);
    await this.deps.store.shareResults(token, readFileSync(this.exportFile(token)));
    record.resultsToken = token;
    record.resultsExpireAt = new Date(Date.now() + this.options.resultsTtlMs).toISOString();
    return true;
  }

  private forwarding() {
    return { attempts: this.options.forwardAttempts, baseDelayMs: 200, isStopped: () => this.stopped };
  }

  exportFile(token: string): string {
    return join(this.options.exportDir, `${token}.jsonl`);
  }

  /** An export's contents: this processor's file, or the copy in the shared store when another one wrote it. */
  async openResults(token: string): Promise<Readable | undefined> {
    const file = this.exportFile(token);
    if (existsSync(file)) return createReadStream(file);
    const shared = await this.deps.store.sharedResults(token);
    return shared ? Readable.from([shared]) : undefined;
  }

  private async transition(record: DsrRecord, status: RequestStatus): Promise<void> {
    record.status = status;
    record.updatedAt = new Date().toISOString();
    await this.deps.store.save(record);
    this.notify(record);
  }

  private notify(record: DsrRecord): void {
    const urls = record.request.status_callback_urls ?? [];
    if (urls.length === 0) return;
    const snapshot = structuredClone(record);
    const previous = this.callbackChains.get(record.id) ?? Promise.resolve();
    const run = previous.then(() =>
      sendStatusCallbacks(urls, (url) => this.statusBody(snapshot, url), this.deps.signer, this.deps.log, this.options.callbacks),
    );
    this.callbackChains.set(record.id, run);
    this.running.add(run);
    void run.finally(() => {
      this.running.delete(run);
      if (this.callbackChains.get(record.id) === run) this.callbackChains.delete(record.id);
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.requestStop();
    clearInterval(this.sweeper);
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    await Promise.allSettled([...this.running]);
  }
}
