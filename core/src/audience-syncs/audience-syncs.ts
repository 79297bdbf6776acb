import { randomUUID } from 'node:crypto';
import type { CanonicalEvent } from '@switchyard/sdk-kit';
import type { AudienceMembershipListener, Clock, ExitReason } from '../audiences/audience-types.js';
import type { Logger } from '../logging.js';
import type { EventRouting, RoutableConnection } from '../routing/event-routing.js';
import type { SyncedMembers } from './synced-members.js';
import { normalizeAudienceIdentifier } from '@switchyard/sdk-kit';
import type { AudienceSyncConfig, SyncChangeRecorder } from './sync-types.js';

export interface AudienceSyncsDeps {
  /** Read at every change, so a config reload takes effect at once. */
  syncs: () => readonly AudienceSyncConfig[];
  connections: () => readonly RoutableConnection[];
  routing: Pick<EventRouting, 'decide' | 'decideRemoval' | 'queue'>;
  /** The person's identifiers now (type → value), empty when the graph no longer knows them (erased). */
  identitiesOf: (profileId: string) => Promise<Record<string, string>>;
  audienceName: (key: string) => string | undefined;
  /** The audiences the person is a member of now. */
  currentAudiences: (profileId: string) => Promise<string[]>;
  /** Whether the person may now receive deliveries on the connection (suppression and consent, as the gate decides). */
  mayReceive: (connection: RoutableConnection, profileId: string, identities: Record<string, string>) => boolean;
  members: SyncedMembers;
  /** The audience's current members, in profile order after `after` (backfill and reconciliation page through them). */
  membersOf: (audience: string, after: string | undefined, limit: number) => Promise<string[]>;
  recorder?: SyncChangeRecorder;
  clock: Clock;
  log: Logger;
}

/** Where sync traffic says it comes from (`sourceId` of its events). */
export const AUDIENCE_SOURCE = 'audiences';

/**
 * Turns membership changes into `type: 'audience'` events for each sync's connection, decided by the one routing
 * decision and queued like any delivery. Remembers per sync whom it added, so that a removal goes only where an add
 * went, and carries the identifiers the add did when the graph has forgotten them (an erasure).
 */
export class AudienceSyncs implements AudienceMembershipListener {
  private tail: Promise<void> = Promise.resolve();
  private closed = false;
  /** Exits of merged-away profiles, held until the merge is done and the survivor's membership is known. */
  private readonly mergedExits = new Map<string, Array<{ audienceKey: string; at: number }>>();

  constructor(private readonly deps: AudienceSyncsDeps) {}

  entered(audienceKey: string, profileId: string, at: number): Promise<void> {
    return this.serialized(async () => {
      const syncs = this.syncsOf(audienceKey);
      if (!syncs.length) return;
      const identities = await this.deps.identitiesOf(profileId);
      for (const { sync, connection } of syncs) {
        // Already sent: a backfill read the membership between its storing and this call (or add-only sent no exit).
        if (this.deps.members.get(sync.audience, sync.connection, profileId)?.state === 'added') continue;
        if (sync.as === 'audience') await this.add(sync, connection, profileId, identities, at);
        else await this.queueEvent(sync, connection, true, profileId, identities, at);
      }
    });
  }

  exited(audienceKey: string, profileId: string, at: number, reason: ExitReason): Promise<void> {
    return this.serialized(async () => {
      if (reason === 'merged') return void this.mergedExits.set(profileId, [...(this.mergedExits.get(profileId) ?? []), { audienceKey, at }]);
      // add-only keeps people who stop matching, never people who may no longer be processed.
      const privacyExit = reason === 'suppressed' || reason === 'erased';
      const syncs = this.syncsOf(audienceKey).filter(({ sync }) => sync.mode !== 'add-only' || privacyExit);
      if (!syncs.length) return;
      const current = await this.deps.identitiesOf(profileId);
      for (const { sync, connection } of syncs) {
        if (sync.as === 'audience') await this.remove(sync, connection, profileId, current, at);
        else await this.queueEvent(sync, connection, false, profileId, current, at);
      }
    });
  }

  /**
   * A merge is done (after `from`'s exits and the survivor's changes). The person is still one person: where the
   * survivor is a member and was added, the destination keeps what `from`'s add sent, and the survivor's record takes
   * those identifiers for a later removal; elsewhere `from`'s exit is sent as any exit.
   */
  merged(from: string, into: string): Promise<void> {
    return this.serialized(async () => {
      const exits = this.mergedExits.get(from) ?? [];
      this.mergedExits.delete(from);
      if (!exits.length) return;
      const survivorIn = new Set(await this.deps.currentAudiences(into));
      const survivor = await this.deps.identitiesOf(into);
      for (const { audienceKey, at } of exits) {
        for (const { sync, connection } of this.syncsOf(audienceKey)) {
          if (sync.as !== 'audience') {
            if (!survivorIn.has(audienceKey) && sync.mode !== 'add-only') await this.queueEvent(sync, connection, false, from, survivor, at);
            continue;
          }
          const sent = this.deps.members.get(sync.audience, sync.connection, from);
          if (sent?.state !== 'added') continue;
          const kept = this.deps.members.get(sync.audience, sync.connection, into);
          if (survivorIn.has(audienceKey) && kept?.state === 'added') {
            this.deps.members.added(sync.audience, sync.connection, into, { ...sent.identities, ...kept.identities }, kept.at);
            this.deps.members.removed(sync.audience, sync.connection, from, this.deps.clock());
          } else if (survivorIn.has(audienceKey) || sync.mode !== 'add-only') {
            // A member the survivor's consent keeps out, or an ordinary exit.
            await this.remove(sync, connection, from, {}, at);
          }
        }
      }
    });
  }

  /**
   * The person's consent changed: from every destination audience their consent no longer allows (an advertising
   * connection after a CCPA opt-out, a connection whose purpose they withdrew) they are removed, whatever the sync's
   * mode; to those it allows again while they are still members, they are added.
   */
  consentChanged(profileIds: readonly string[]): Promise<void> {
    return this.serialized(async () => {
      const at = this.deps.clock();
      for (const profileId of profileIds) {
        const member = new Set(await this.deps.currentAudiences(profileId));
        const current = await this.deps.identitiesOf(profileId);
        for (const sync of this.deps.syncs()) {
          if (sync.as !== 'audience') continue;
          const connection = this.syncsOf(sync.audience).find((s) => s.sync === sync)?.connection;
          if (!connection) continue;
          const added = this.deps.members.get(sync.audience, sync.connection, profileId)?.state === 'added';
          const allowed = this.deps.mayReceive(connection, profileId, current);
          if (added && !allowed) await this.remove(sync, connection, profileId, current, at);
          else if (!added && allowed && member.has(sync.audience)) await this.add(sync, connection, profileId, current, at);
        }
      }
    });
  }

  /**
   * One page of a backfill: the audience's members after `after` that the sync has not added yet are added (or get an
   * Audience Entered event), decided by the same routing decision as live changes. Runs in the order of live changes,
   * so a member who enters or leaves meanwhile is neither lost nor sent twice. Returns the page's profile ids.
   */
  backfillPage(sync: AudienceSyncConfig, after: string | undefined, limit: number, runId: string): Promise<string[]> {
    return this.serializedValue(async () => {
      const connection = this.connectionOf(sync);
      const page = await this.deps.membersOf(sync.audience, after, limit);
      if (!connection) return page;
      const at = this.deps.clock();
      const todo = page.filter((profileId) => this.deps.members.get(sync.audience, sync.connection, profileId)?.state !== 'added');
      if (sync.as !== 'audience') {
        for (const profileId of todo) await this.queueEvent(sync, connection, true, profileId, await this.deps.identitiesOf(profileId), at, runId);
        return page;
      }
      // The page's adds are queued in one write: a backfill of many members is as fast as the queue takes batches.
      const decided = [];
      const added: Array<{ profileId: string; identities: Record<string, string>; messageId: string }> = [];
      for (const profileId of todo) {
        const identities = await this.deps.identitiesOf(profileId);
        const event = this.changeEvent(sync, 'add', profileId, identities, at);
        const records = this.deps.routing.decide(event, [connection], undefined, { anySource: true });
        if (!records.length) continue;
        decided.push(...records);
        added.push({ profileId, identities, messageId: event.messageId });
      }
      await this.deps.routing.queue(decided);
      this.deps.members.addedMany(sync.audience, sync.connection, added, this.deps.clock());
      this.deps.recorder?.queued(
        sync,
        added.map((a) => ({ messageId: a.messageId, action: 'add' as const, profileId: a.profileId })),
        runId,
      );
      return page;
    });
  }

  /**
   * One page of a reconciliation: each member of the audience the destination does not hold (by any identifier) is
   * added again; identifiers the destination holds of members who may receive the sync are taken out of `held`, so that
   * what is left there at the end is what should not be there. Returns the page's profile ids.
   */
  reconcilePage(sync: AudienceSyncConfig, after: string | undefined, limit: number, runId: string, held: Set<string>): Promise<string[]> {
    return this.serializedValue(async () => {
      const connection = this.connectionOf(sync);
      const page = await this.deps.membersOf(sync.audience, after, limit);
      if (!connection) return page;
      const at = this.deps.clock();
      for (const profileId of page) {
        const identities = await this.deps.identitiesOf(profileId);
        if (!this.deps.mayReceive(connection, profileId, identities)) continue;
        const keys = Object.entries(identities).flatMap(([type, value]) => {
          const normalized = normalizeAudienceIdentifier(type, value);
          return normalized === undefined ? [] : [heldKey(type, normalized)];
        });
        const present = keys.filter((key) => held.has(key));
        for (const key of present) held.delete(key);
        if (present.length) {
          const sent = this.deps.members.get(sync.audience, sync.connection, profileId);
          if (sent?.state !== 'added') this.deps.members.added(sync.audience, sync.connection, profileId, identities, this.deps.clock());
        } else {
          await this.add(sync, connection, profileId, identities, at, runId);
        }
      }
      return page;
    });
  }

  /** The end of a reconciliation: people the destination holds whom no member accounts for are removed, by the identifiers it holds. */
  removeHeld(sync: AudienceSyncConfig, held: ReadonlyArray<Record<string, string>>, runId: string): Promise<number> {
    return this.serializedValue(async () => {
      const connection = this.connectionOf(sync);
      if (!connection) return 0;
      const at = this.deps.clock();
      const changes = [];
      for (const identities of held) {
        const event = this.changeEvent(sync, 'remove', undefined, identities, at);
        const decided = this.deps.routing.decideRemoval(event, connection);
        await this.deps.routing.queue(decided);
        if (decided.length) changes.push({ messageId: event.messageId, action: 'remove' as const });
      }
      this.deps.recorder?.queued(sync, changes, runId);
      return changes.length;
    });
  }

  /** Resolves once every change heard so far is queued (tests, shutdown). */
  idle(): Promise<void> {
    return this.tail;
  }

  /** Changes heard from now on are dropped: the queue and the members store are closing. */
  async close(): Promise<void> {
    this.closed = true;
    await this.tail;
  }

  /**
   * An Audience Entered / Exited event (or identify) for an event destination. An exit is an event, not a deletion:
   * it is decided like any event, so it does not reach a suppressed person's destinations.
   */
  private async queueEvent(
    sync: AudienceSyncConfig,
    connection: RoutableConnection,
    entered: boolean,
    profileId: string,
    identities: Record<string, string>,
    at: number,
    runId?: string,
  ) {
    const event = this.asEvent(sync, entered, profileId, identities, at);
    const decided = this.deps.routing.decide(event, [connection], undefined, { anySource: true });
    await this.deps.routing.queue(decided);
    if (!decided.length) return;
    // Remembered so that a backfill does not send an entered event twice.
    if (entered) this.deps.members.added(sync.audience, sync.connection, profileId, {}, this.deps.clock());
    else this.deps.members.removed(sync.audience, sync.connection, profileId, this.deps.clock());
    this.deps.recorder?.queued(sync, [{ messageId: event.messageId, action: entered ? 'add' : 'remove', profileId }], runId);
  }

  /** An add, decided like any event (suppression, consent, CCPA opt-out): recorded only when it is queued. */
  private async add(
    sync: AudienceSyncConfig,
    connection: RoutableConnection,
    profileId: string,
    identities: Record<string, string>,
    at: number,
    runId?: string,
  ): Promise<boolean> {
    const event = this.changeEvent(sync, 'add', profileId, identities, at);
    const decided = this.deps.routing.decide(event, [connection], undefined, { anySource: true });
    if (!decided.length) return false;
    await this.deps.routing.queue(decided);
    this.deps.members.added(sync.audience, sync.connection, profileId, identities, this.deps.clock());
    this.deps.recorder?.queued(sync, [{ messageId: event.messageId, action: 'add', profileId }], runId);
    return true;
  }

  /** A removal goes only where an add went, with the identifiers the add carried besides the current ones. */
  private async remove(
    sync: AudienceSyncConfig,
    connection: RoutableConnection,
    profileId: string,
    current: Record<string, string>,
    at: number,
    runId?: string,
  ) {
    const sent = this.deps.members.get(sync.audience, sync.connection, profileId);
    if (sent?.state !== 'added') return;
    const identities = { ...sent.identities, ...current };
    const event = this.changeEvent(sync, 'remove', profileId, identities, at);
    const decided = this.deps.routing.decideRemoval(event, connection);
    await this.deps.routing.queue(decided);
    this.deps.members.removed(sync.audience, sync.connection, profileId, this.deps.clock());
    if (decided.length) this.deps.recorder?.queued(sync, [{ messageId: event.messageId, action: 'remove', profileId }], runId);
  }

  private connectionOf(sync: AudienceSyncConfig): RoutableConnection | undefined {
    return this.syncsOf(sync.audience).find((s) => s.sync.connection === sync.connection)?.connection;
  }

  private syncsOf(audienceKey: string): Array<{ sync: AudienceSyncConfig; connection: RoutableConnection }> {
    const connections = new Map(this.deps.connections().map((c) => [c.id, c]));
    return this.deps.syncs().flatMap((sync) => {
      const connection = sync.audience === audienceKey ? connections.get(sync.connection) : undefined;
      return connection && (sync.as !== 'audience' || connection.connector.audience) ? [{ sync, connection }] : [];
    });
  }

  private changeEvent(
    sync: AudienceSyncConfig,
    action: 'add' | 'remove',
    profileId: string | undefined,
    identities: Record<string, string>,
    at: number,
  ): CanonicalEvent {
    const when = new Date(at).toISOString();
    const name = this.deps.audienceName(sync.audience);
    return {
      // A person can be added and removed many times at one clock reading (consent given, withdrawn, given again).
      messageId: `aud-${profileId ?? 'held'}-${sync.audience}-${action}-${randomUUID()}`,
      type: 'audience',
      ...(profileId !== undefined ? { profileId } : {}),
      identities,
      ...(identities.user_id ? { userId: identities.user_id } : {}),
      ...(identities.anonymous_id ? { anonymousId: identities.anonymous_id } : {}),
      audience: { key: sync.audience, ...(name ? { name } : {}), action, at: when, sync: sync.settings },
      traits: {},
      properties: {},
      context: {},
      timestamp: when,
      receivedAt: new Date(this.deps.clock()).toISOString(),
      sourceId: AUDIENCE_SOURCE,
    };
  }

  /** For event destinations: a track `Audience Entered` / `Audience Exited`, or an identify with `{<key>: true|false}`. */
  private asEvent(sync: AudienceSyncConfig, entered: boolean, profileId: string, identities: Record<string, string>, at: number): CanonicalEvent {
    const when = new Date(at).toISOString();
    const name = this.deps.audienceName(sync.audience);
    const track = sync.as === 'track';
    return {
      messageId: `aud-${profileId}-${sync.audience}-${entered ? 'entered' : 'exited'}-${randomUUID()}`,
      type: track ? 'track' : 'identify',
      ...(track ? { event: entered ? 'Audience Entered' : 'Audience Exited' } : {}),
      profileId,
      identities,
      ...(identities.user_id ? { userId: identities.user_id } : {}),
      ...(identities.anonymous_id ? { anonymousId: identities.anonymous_id } : {}),
      traits: track ? {} : { [sync.audience]: entered },
      properties: track ? { audience_key: sync.audience, ...(name ? { audience_name: name } : {}) } : {},
      context: {},
      timestamp: when,
      receivedAt: new Date(this.deps.clock()).toISOString(),
      sourceId: AUDIENCE_SOURCE,
    };
  }

  /** Changes are queued in the order they were heard, so an add and its removal never swap. */
  private serialized(work: () => Promise<void>): Promise<void> {
    const run = this.tail.then(() => (this.closed ? undefined : work()));
    this.tail = run.catch((error: unknown) => this.deps.log.error({ err: error }, 'queuing an audience change failed'));
    return run;
  }

  /** A backfill's or reconciliation's step, in the same order; it fails (the run fails) once the syncs are closed. */
  private serializedValue<T>(work: () => Promise<T>): Promise<T> {
    const run = this.tail.then(() => {
      if (this.closed) throw new Error('the audience syncs are closing');
      return work();
    });
    this.tail = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }
}

/** An identifier a destination holds, as reconciliation compares them: type and normalised value. */
export function heldKey(type: string, normalized: string): string {
  return `${type}\u0000${normalized}`;
}
