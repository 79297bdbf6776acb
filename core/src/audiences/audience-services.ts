import { join } from 'node:path';
import type { CanonicalEvent } from '@switchyard/sdk-kit';
import type { PrivacyConfig } from '../config/config-types.js';
import type { Logger } from '../logging.js';
import type { ProfileStore } from '../profiles/profile-store.js';
import type { SuppressionStore } from '../privacy/suppression-store.js';
import { profileIdsOf, profileKey } from '../vocabulary/identity-types.js';
import { AudienceEngine } from './audience-engine.js';
import type { PeopleFacts } from './audience-evaluation.js';
import { AudienceReevaluation } from './audience-reevaluation.js';
import { AudienceRegistry } from './audience-registry.js';
import { AudienceRollover, type RolloverOptions } from './audience-rollover.js';
import type { AudienceStore } from './audience-store.js';
import { systemClock, type AudienceDefinition, type AudienceMembershipListener, type Clock } from './audience-types.js';
import { SqliteAudienceStore } from './sqlite-audience-store.js';

export interface AudienceServicesOptions {
  storageDir: string;
  log: Logger;
  /** The config's `audiences`, already checked (resolve-config). */
  audiences?: readonly AudienceDefinition[];
  /** The privacy config in force (purposes, missing-consent policy); read at every evaluation. */
  privacy: () => PrivacyConfig;
  profiles: Pick<ProfileStore, 'get' | 'consentOf'>;
  suppressions: Pick<SuppressionStore, 'isSuppressed'>;
  clock?: Clock;
  rollover?: RolloverOptions;
  /** By default the embedded store, `audiences.db` in the storage dir. */
  store?: AudienceStore;
}

/** The file audiences live in, beside the queue. */
export function audienceDatabaseFile(storageDir: string): string {
  return join(storageDir, 'audiences.db');
}

/**
 * Audiences, opened together: the store, the engine that keeps memberships current, the registry of definitions,
 * the background re-evaluation and the daily rollover. The composition root feeds it accepted events (`observe`)
 * and the identity graph's and privacy's news (`identityListener`, `privacyListener`).
 */
export class AudienceServices {
  private constructor(
    private readonly log: Logger,
    readonly store: AudienceStore,
    readonly engine: AudienceEngine,
    readonly registry: AudienceRegistry,
    readonly reevaluation: AudienceReevaluation,
    readonly rollover: AudienceRollover,
  ) {}

  static async open(options: AudienceServicesOptions): Promise<AudienceServices> {
    const clock = options.clock ?? systemClock;
    const store = options.store ?? new SqliteAudienceStore(audienceDatabaseFile(options.storageDir));
    try {
      const people: PeopleFacts = {
        traitsOf: (id) => options.profiles.get(profileKey(id))?.traits ?? {},
        consentOf: (id) => options.profiles.consentOf([profileKey(id)]),
        isSuppressed: (id) => options.suppressions.isSuppressed([profileKey(id)]),
      };
      const engine = new AudienceEngine({ store, people, clock, log: options.log });
      const reevaluation = new AudienceReevaluation(engine, store, clock, options.log);
      const registry = await AudienceRegistry.open(
        { store, engine, reevaluation, clock, log: options.log, context: { privacy: options.privacy, now: clock } },
        options.audiences ?? [],
        purposesOf(options.privacy()),
      );
      const rollover = new AudienceRollover(engine, store, clock, options.log, options.rollover);
      await rollover.start();
      return new AudienceServices(options.log, store, engine, registry, reevaluation, rollover);
    } catch (error) {
      await store.close();
      throw error;
    }
  }

  /** Accepted events, once durable: fire-and-forget. */
  observe(events: readonly CanonicalEvent[]): void {
    this.engine.observe(events);
  }

  /** Membership changes go to `listener` from now on (audience syncs). */
  listen(listener: AudienceMembershipListener): void {
    this.engine.listen(listener);
  }

  /** A config reload. */
  applyConfig(audiences: readonly AudienceDefinition[], privacy: PrivacyConfig): Promise<void> {
    return this.registry.applyConfig(audiences, purposesOf(privacy));
  }

  /** What the identity graph tells: merges combine aggregates, splits copy them. */
  readonly identityListener = {
    merged: (from: string, into: string) => this.inBackground(this.engine.merged(from, into), 'combining the aggregates of merged profiles'),
    split: (restored: string, from: string) => this.inBackground(this.engine.split(restored, from), 'copying the aggregates of a split profile'),
    linked: () => undefined,
  };

  /** What privacy tells: suppressed and erased people leave every audience. */
  readonly privacyListener = {
    suppressed: (keys: readonly string[]) => this.inBackground(this.engine.suppressed(profileIdsOf(keys)), 'removing suppressed people from audiences'),
    erased: (keys: readonly string[]) => this.inBackground(this.engine.erased(profileIdsOf(keys)), 'removing erased people from audiences'),
  };

  /** The graph and privacy do not wait for audiences: the work is queued in order with events, and failures logged. */
  private inBackground(work: Promise<void>, what: string): void {
    work.catch((error: unknown) => this.log.error({ err: error }, `${what} failed`));
  }

  /** Resolves once observed events, re-evaluations and changes so far are worked off (tests, shutdown). */
  async idle(): Promise<void> {
    await this.reevaluation.idle();
    await this.engine.idle();
  }

  async close(): Promise<void> {
    await this.rollover.stop();
    await this.reevaluation.stop();
    await this.engine.close();
    await this.store.close();
  }
}

function purposesOf(privacy: PrivacyConfig): Set<string> {
  return new Set(privacy.purposes.map((p) => p.id));
}
