import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { DeliveryQueue } from '../queue/delivery-queue.js';
import type { Logger } from '../logging.js';
import type { ProfileStore } from '../profiles/profile-store.js';
import type { PrivacyAudit } from '../privacy/privacy-audit.js';
import type { PrivacyGate } from '../privacy/privacy-gate.js';
import type { SuppressionStore } from '../privacy/suppression-store.js';
import type { DsrStore } from './dsr-store.js';
import type { DsrRecord, RequestStatus } from './dsr-types.js';
import type { DsrSigner } from './signing.js';
import { sendStatusCallbacks, type CallbackOptions } from './status-callbacks.js';
import { canonicalIdentities, identityKeysForSubject } from './subject-identities.js';

/** What erasure needs of the delivery runtime. */
export interface DeletionForwarder {
  connectionIds(): string[];
  forwardDeletion(connectionId: string, identities: Record<string, string>): Promise<{ status: 'sent' | 'failed' | 'skipped'; error?: string }>;
}

export interface DsrProcessorOptions {
  /** How long a request stays pending (and cancellable) before processing starts. */
  gracePeriodMs: number;
  /** How long an access/portability export stays downloadable. */
  resultsTtlMs: number;
  /** Attempts to forward a deletion to one connection before it is marked failed. */
  forwardAttempts: number;
  exportDir: string;
  callbacks?: CallbackOptions;
}

export interface DsrProcessorDeps {
  store: DsrStore;
  signer: DsrSigner;
  queue: DeliveryQueue;
  profiles: ProfileStore;
  suppressions: SuppressionStore;
  gate: PrivacyGate;
  audit: PrivacyAudit;
  forwarder: DeletionForwarder;
  log: Logger;
}

/**
 * Carries data-subject requests from pending to completed: erasure purges what Switchyard holds and
 * forwards the deletion to connectors; access and portability produce a JSON Lines export.
 */
export class DsrProcessor {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly running = new Set<Promise<void>>();
  /** Callbacks of one request go out in order: pending before in_progress before completed. */
  private readonly callbackChains = new Map<string, Promise<void>>();
  private stopped = false;
  private requestStop!: () => void;
  private readonly stopRequested = new Promise<void>((resolve) => { this.requestStop = resolve; });

  constructor(private readonly deps: DsrProcessorDeps, private readonly options: DsrProcessorOptions) {}

  /** Picks up requests a previous run left unfinished. */
  resume(): void {
    for (const record of this.deps.store.unfinished()) this.schedule(record, 0);
  }

  accept(record: DsrRecord): void {
    this.deps.store.insert(record);
    this.notify(record);
    this.schedule(record, this.options.gracePeriodMs);
  }

  /** Cancels a pending request; false when it has already started. */
  cancel(id: string): DsrRecord | undefined {
    const record = this.deps.store.get(id);
    if (!record || record.status !== 'pending') return undefined;
    clearTimeout(this.timers.get(id));
    this.timers.delete(id);
    this.transition(record, 'cancelled');
    return record;
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
      extensions: { [this.deps.signer.processorDomain]: { connections: record.connections, ...(record.resultsExpireAt ? { results_expire_at: record.resultsExpireAt } : {}) } },
    };
  }

  private schedule(record: DsrRecord, delayMs: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(record.id);
      const run = this.process(record.id).catch((error: unknown) => this.deps.log.error({ err: error, request: record.id }, 'processing a data-subject request failed'));
      this.running.add(run);
      void run.finally(() => this.running.delete(run));
    }, delayMs);
    timer.unref();
    this.timers.set(record.id, timer);
  }

  private async process(id: string): Promise<void> {
    const record = this.deps.store.get(id);
    if (!record || record.status === 'cancelled' || record.status === 'completed' || this.stopped) return;
    this.transition(record, 'in_progress');
    if (record.request.subject_request_type === 'erasure') await this.erase(record);
    else await this.export(record);
    if (!this.stopped) this.transition(record, 'completed');
  }

  private async erase(record: DsrRecord): Promise<void> {
    const keys = identityKeysForSubject(record.request.subject_identities);
    const suppress = (record.request.extensions?.[this.deps.signer.processorDomain]?.suppress as boolean | undefined) !== false;
    if (suppress) {
      for (const [type, value] of Object.entries(canonicalIdentities(record.request.subject_identities))) {
        this.deps.suppressions.add(type, value, `erasure ${record.id}`);
      }
    }
    await this.deps.gate.noteErasure(keys);
    const purged = await this.deps.queue.purgeIdentity(keys);
    this.deps.profiles.delete(keys);
    this.deps.audit.record('erased', {}, purged.events + purged.deadLetters);

    const identities = canonicalIdentities(record.request.subject_identities);
    const connectionIds = this.deps.forwarder.connectionIds();
    // A task a worker already holds may still send the subject's events; the deletion must reach the
    // destination after them. On shutdown the request stays in_progress and resumes at the next start.
    await Promise.race([this.deps.gate.deliveriesInFlight(), this.stopRequested]);
    if (this.stopped) return;
    for (const connectionId of connectionIds) record.connections[connectionId] = { status: 'pending' };
    this.deps.store.save(record);
    await Promise.all(Object.keys(record.connections).map(async (connectionId) => {
      let outcome = await this.deps.forwarder.forwardDeletion(connectionId, identities);
      for (let attempt = 2; outcome.status === 'failed' && attempt <= this.options.forwardAttempts && !this.stopped; attempt += 1) {
        await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** (attempt - 2)));
        outcome = await this.deps.forwarder.forwardDeletion(connectionId, identities);
      }
      record.connections[connectionId] = outcome.error ? { status: outcome.status, error: outcome.error } : { status: outcome.status };
      this.deps.store.save(record);
    }));
  }

  private async export(record: DsrRecord): Promise<void> {
    const keys = identityKeysForSubject(record.request.subject_identities);
    mkdirSync(this.options.exportDir, { recursive: true });
    const token = randomBytes(24).toString('base64url');
    const file = join(this.options.exportDir, `${token}.jsonl`);
    const out = createWriteStream(file, { mode: 0o600 });
    let count = 0;
    const write = (line: unknown) => { out.write(`${JSON.stringify(line)}\n`); count += 1; };
    for (const key of keys) {
      const profile = this.deps.profiles.get(key);
      if (profile) write({ kind: 'profile', identity: key, consent: profile.consent, traits: profile.traits, updated_at: new Date(profile.updatedAt).toISOString() });
    }
    if (this.deps.suppressions.isSuppressed(keys)) write({ kind: 'suppression', identities: keys });
    for (const held of await this.deps.queue.findByIdentity(keys)) {
      write({ kind: 'event', held_in: held.where, connections: held.connectionIds, event: JSON.parse(held.body) as unknown });
    }
    await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
    record.resultsToken = token;
    record.resultsCount = count;
    record.resultsExpireAt = new Date(Date.now() + this.options.resultsTtlMs).toISOString();
  }

  exportFile(token: string): string {
    return join(this.options.exportDir, `${token}.jsonl`);
  }

  private transition(record: DsrRecord, status: RequestStatus): void {
    record.status = status;
    record.updatedAt = new Date().toISOString();
    this.deps.store.save(record);
    this.notify(record);
  }

  private notify(record: DsrRecord): void {
    const urls = record.request.status_callback_urls ?? [];
    if (urls.length === 0) return;
    const snapshot = structuredClone(record);
    const previous = this.callbackChains.get(record.id) ?? Promise.resolve();
    const run = previous.then(() => sendStatusCallbacks(urls, (url) => this.statusBody(snapshot, url), this.deps.signer, this.deps.log, this.options.callbacks));
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
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    await Promise.allSettled([...this.running]);
  }
}
