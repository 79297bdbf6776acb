import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { AudienceSyncs } from '../audience-syncs/audience-syncs.js';
import { SyncedMembers } from '../audience-syncs/synced-members.js';
import { SyncLifecycle } from '../audience-syncs/sync-lifecycle.js';
import { SyncRuns } from '../audience-syncs/sync-runs.js';
import type { AudienceSyncConfig, SyncChangeRecorder } from '../audience-syncs/sync-types.js';
import { AudienceServices } from '../audiences/audience-services.js';
import { PostgresAudienceStore } from '../audiences/postgres-audience-store.js';
import type { AudienceDefinition, Clock } from '../audiences/audience-types.js';
import type { SettledBatch } from '../delivery/connection-dispatcher.js';
import { DeliveryRuntime } from '../delivery/delivery-runtime.js';
import { DsrServices } from '../dsr/dsr-services.js';
import type { Logger } from '../logging.js';
import type { DsrConfig, IdentityConfig, PrivacyConfig, QueueConfig, SharedStateConfig } from '../config/config-types.js';
import { IdentityGraph } from '../identity/identity-graph.js';
import { resolveIdentityRules } from '../identity/identity-rules.js';
import type { IdentityStore } from '../identity/identity-store.js';
import { openIdentityStore } from '../identity/open-identity-store.js';
import { privacyDatabaseFile, PrivacyServices } from '../privacy/privacy-services.js';
import type { DeliveryQueue } from '../queue/delivery-queue.js';
import type { EventTracer } from '../types.js';
import { openDeliveryQueue } from '../queue/open-delivery-queue.js';
import { RevocationBoard } from '../revocation/revocation-board.js';
import { PostgresAuditCounts } from '../privacy/postgres-audit-counts.js';
import { PostgresPrivacyFeed } from '../privacy/postgres-privacy-feed.js';
import { eventIdentityKeys, profileIdsOf } from '../vocabulary/identity-types.js';
import { EventRouting, type RoutableConnection } from '../routing/event-routing.js';

export interface DataPathOptions {
  storageDir: string;
  log: Logger;
  privacy?: Partial<PrivacyConfig>;
  identity?: IdentityConfig;
  /** Where the identity graph lives; by default the embedded SQLite store in the storage dir. */
  identityStore?: IdentityStore;
  /** Shared state: with PostgreSQL, privacy changes are shared with every router on the same schema. */
  state?: SharedStateConfig;
  dsr?: DsrConfig;
  /** Every configured connection with its consent rule, quarantine connections included; read on every decision. */
  connections: () => readonly RoutableConnection[];
  /** The connections system events (rectification) go to: the regular fan-out. */
  systemEventTargets: () => readonly RoutableConnection[];
  /** `logging.level` for connector code in the workers. */
  logLevel?: () => string | undefined;
  /** Told of every routing decision (the operator's trace by messageId). */
  tracer?: EventTracer;
  /** The durable queue; by default the one `queueConfig` names. */
  queue?: DeliveryQueue;
  /** `queue` of the config: NATS JetStream, or by default the embedded SQLite queue on its own thread, in the storage dir. */
  queueConfig?: QueueConfig;
  /** The config's audiences. */
  audiences?: readonly AudienceDefinition[];
  /** What audiences read the time from (tests move it). */
  clock?: Clock;
  /** How often mirror syncs are checked for a due reconciliation (ms). */
  syncCheckMs?: number;
  /** The audiences' syncs in force; read at every membership change. */
  audienceSyncs?: () => readonly AudienceSyncConfig[];
}

/** Everything from the routing decision to the connectors, with the privacy and data-subject services around it. */
export interface DataPath {
  queue: DeliveryQueue;
  revocations: RevocationBoard;
  identity: IdentityGraph;
  privacy: PrivacyServices;
  audiences: AudienceServices;
  runtime: DeliveryRuntime;
  dsr: DsrServices;
  routing: EventRouting;
  audienceSyncs: AudienceSyncs;
  /** Backfills, reconciliations and the run history of every sync. */
  syncLifecycle: SyncLifecycle;
  /** Stops deliveries (in-flight ones finish or go back to the queue), then closes every store. */
  close(): Promise<void>;
}

/**
 * Builds the data path in its order: queue → revocation board → identity graph → privacy (stores and gate, acting
 * on the people the graph resolves) → audiences (memberships kept from accepted events) → delivery runtime
 * (the gate plugged into its port) → data-subject requests → the routing decision. The router and the tests
 * both build it here. Whatever opened before a failure is closed again.
 */
export async function openDataPath(options: DataPathOptions): Promise<DataPath> {
  const opened: Array<() => Promise<void> | void> = [];
  try {
    const queue = options.queue ?? (await openDeliveryQueue(options.queueConfig, options.storageDir));
    if (!options.queue) opened.unshift(() => queue.close());
    const revocations = RevocationBoard.create();
    mkdirSync(options.storageDir, { recursive: true });
    const identity = new IdentityGraph(
      options.identityStore ?? (await openIdentityStore(options.identity, options.storageDir)),
      resolveIdentityRules(options.identity),
    );
    opened.unshift(() => identity.close());
    const state = options.state;
    // Opened before privacy and closed after it, so privacy's last counts on closing are still added.
    const auditCounts = state?.type === 'postgres' ? await PostgresAuditCounts.open({ url: state.url, schema: state.schema }) : undefined;
    if (auditCounts) opened.unshift(() => auditCounts.close());
    const privacy = PrivacyServices.open({
      storageDir: options.storageDir,
      privacy: options.privacy,
      revocations,
      connections: options.connections,
      persons: (identifiers) => identity.personsOf(identifiers),
    });
    opened.unshift(async () => {
      privacy.close();
      await privacy.audit.sharedSettled();
    });
    if (auditCounts) privacy.audit.shareWith(auditCounts);
    const feed =
      state?.type === 'postgres'
        ? await PostgresPrivacyFeed.open({ url: state.url, schema: state.schema, log: options.log, cursor: privacy.sharedStateCursor(state.schema) })
        : undefined;
    if (feed) {
      opened.unshift(() => feed.close());
      privacy.gate.shareChanges(feed);
    }
    identity.listen({
      merged: (from, into, identifiers) => privacy.gate.personMerged(from, into, identifiers),
      split: (restored, from) => privacy.gate.personSplit(restored, from),
      linked: (profileId, added, identifiers) => privacy.gate.personLinked(profileId, added, identifiers),
    });
    // Audiences read privacy's profiles and suppressions, and hear of merges, suppressions and erasures.
    const audiences = await AudienceServices.open({
      storageDir: options.storageDir,
      log: options.log,
      audiences: options.audiences ?? [],
      privacy: () => privacy.privacyConfig,
      profiles: privacy.profiles,
      suppressions: privacy.suppressions,
      ...(state?.type === 'postgres' ? { store: await PostgresAudienceStore.open({ url: state.url, schema: state.schema }) } : {}),
      ...(options.clock ? { clock: options.clock } : {}),
    });
    opened.unshift(() => audiences.close());
    identity.listen(audiences.identityListener);
    privacy.gate.listen(audiences.privacyListener);
    // Runs once the runtime has stopped (steps run last-opened first): what waits in the queue for the next start.
    opened.unshift(async () => {
      // A queue that does not answer (NATS away) must not keep the rest from closing.
      const queued = await queue.depth().catch(() => ({}) as Record<string, number>);
      const total = Object.values(queued).reduce((sum, n) => sum + n, 0);
      options.log.info({ queued }, total ? `stopped: ${total} deliveries wait in the queue for the next start` : 'stopped: nothing waits in the queue');
    });
    const runtime = new DeliveryRuntime({
      queue,
      storageDir: options.storageDir,
      log: options.log,
      revocations,
      logLevel: options.logLevel,
      gate: privacy.gate.deliveryGate,
    });
    opened.unshift(() => runtime.stop());
    const dsr = await DsrServices.open({
      storageDir: options.storageDir,
      databaseFile: privacyDatabaseFile(options.storageDir),
      ...(state ? { state } : {}),
      dsr: options.dsr,
      queue,
      privacy,
      identity,
      forwarder: runtime,
      log: options.log,
    });
    opened.unshift(() => dsr.close());
    const routing = new EventRouting({
      gate: privacy.gate,
      audit: privacy.audit,
      deliveries: runtime,
      connections: options.connections,
      systemEventTargets: options.systemEventTargets,
      ...(options.tracer ? { tracer: options.tracer } : {}),
    });
    const syncsFile = join(options.storageDir, 'audience-syncs.db');
    const synced = new SyncedMembers(syncsFile);
    const clock = options.clock ?? Date.now;
    const runs = new SyncRuns(syncsFile, () => new Date(clock()).toISOString());
    // The lifecycle counts what the syncs queue and drives their backfills: each needs the other.
    const recorder: SyncChangeRecorder & { to?: SyncLifecycle } = { queued: (sync, changes, runId) => recorder.to?.queued(sync, changes, runId) };
    const audienceSyncs = new AudienceSyncs({
      syncs: options.audienceSyncs ?? (() => []),
      connections: options.connections,
      routing,
      identitiesOf: async (profileId) => {
        const identities: Record<string, string> = {};
        for (const { type, value } of (await identity.profile(profileId))?.identifiers ?? []) identities[type] ??= value;
        return identities;
      },
      audienceName: (key) => audiences.registry.set.audiences.get(key)?.name,
      currentAudiences: async (profileId) => (await audiences.store.membershipsOf(profileId)).filter((m) => m.exitedAt === undefined).map((m) => m.audience),
      mayReceive: (connection, profileId, identities) => privacy.gate.mayReceive(connection, eventIdentityKeys({ identities, profileId })),
      members: synced,
      membersOf: async (audience, after, limit) => (await audiences.store.members(audience, after, limit)).map((m) => m.profileId),
      recorder,
      clock,
      log: options.log,
    });
    audiences.listen(audienceSyncs);
    const syncLifecycle = new SyncLifecycle({
      syncs: options.audienceSyncs ?? (() => []),
      audienceSyncs,
      runs,
      members: synced,
      memberCount: async (audience) => (await audiences.store.memberCounts()).get(audience) ?? 0,
      listDestination: (sync, cursor) => {
        const name = audiences.registry.set.audiences.get(sync.audience)?.name;
        return runtime.listAudienceMembers(sync.connection, {
          audience: { key: sync.audience, ...(name !== undefined ? { name } : {}) },
          sync: sync.settings,
          ...(cursor !== undefined ? { cursor } : {}),
        });
      },
      clock,
      log: options.log,
      ...(options.syncCheckMs ? { tickMs: options.syncCheckMs } : {}),
    });
    recorder.to = syncLifecycle;
    runtime.on('settled', (batch: SettledBatch) => syncLifecycle.settled(batch));
    privacy.gate.listen({ erased: (keys) => syncLifecycle.erased(keys) });
    // Failures are logged by the syncs' own queue of changes.
    privacy.gate.listen({ consentChanged: (keys) => void audienceSyncs.consentChanged(profileIdsOf(keys)).catch(() => undefined) });
    // Closed first, while the runtime still takes deliveries; changes heard later are left to the next reconciliation.
    opened.unshift(async () => {
      await syncLifecycle.close();
      await audienceSyncs.close();
      synced.close();
      runs.close();
    });
    // Last, once everything that hears of privacy changes listens: the other routers' changes are applied as if made here.
    await feed?.start((change) => privacy.gate.applyShared(change));
    const close = async () => {
      for (const step of opened.splice(0)) await step();
    };
    return { queue, revocations, identity, privacy, audiences, runtime, dsr, routing, audienceSyncs, syncLifecycle, close };
  } catch (error) {
    for (const step of opened) await Promise.resolve(step()).catch(() => undefined);
    throw error;
  }
}
