import type { CanonicalEvent } from '@switchyard/sdk-kit';
import type { AudienceMembershipListener, Clock, ExitReason } from '../audiences/audience-types.js';
import type { Logger } from '../logging.js';
import type { EventRouting, RoutableConnection } from '../routing/event-routing.js';
import type { SyncedMembers } from './synced-members.js';
import type { AudienceSyncConfig } from './sync-types.js';

export interface AudienceSyncsDeps {
  /** Read at every change, so a config reload takes effect at once. */
  syncs: () => readonly AudienceSyncConfig[];
  connections: () => readonly RoutableConnection[];
  routing: Pick<EventRouting, 'decide' | 'decideRemoval' | 'queue'>;
  /** The person's identifiers now (type → value), empty when the graph no longer knows them (erased). */
  identitiesOf: (profileId: string) => Promise<Record<string, string>>;
  audienceName: (key: string) => string | undefined;
  members: SyncedMembers;
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

  constructor(private readonly deps: AudienceSyncsDeps) {}

  entered(audienceKey: string, profileId: string, at: number): Promise<void> {
    return this.serialized(async () => {
      const syncs = this.syncsOf(audienceKey);
      if (!syncs.length) return;
      const identities = await this.deps.identitiesOf(profileId);
      for (const { sync, connection } of syncs) {
        if (sync.as !== 'audience') {
          await this.deps.routing.queue(
            this.deps.routing.decide(this.asEvent(sync, true, profileId, identities, at), [connection], undefined, { anySource: true }),
          );
          continue;
        }
        const event = this.changeEvent(sync, 'add', profileId, identities, at);
        const decided = this.deps.routing.decide(event, [connection], undefined, { anySource: true });
        if (!decided.length) continue;
        await this.deps.routing.queue(decided);
        this.deps.members.added(sync.audience, sync.connection, profileId, identities, this.deps.clock());
      }
    });
  }

  exited(audienceKey: string, profileId: string, at: number, _reason: ExitReason): Promise<void> {
    return this.serialized(async () => {
      const syncs = this.syncsOf(audienceKey).filter(({ sync }) => sync.mode !== 'add-only');
      if (!syncs.length) return;
      const current = await this.deps.identitiesOf(profileId);
      for (const { sync, connection } of syncs) {
        if (sync.as !== 'audience') {
          // An event, not a deletion: it is decided like any event, so it does not reach a suppressed person's destinations.
          await this.deps.routing.queue(
            this.deps.routing.decide(this.asEvent(sync, false, profileId, current, at), [connection], undefined, { anySource: true }),
          );
          continue;
        }
        const sent = this.deps.members.get(sync.audience, sync.connection, profileId);
        if (sent?.state !== 'added') continue;
        const identities = { ...sent.identities, ...current };
        const decided = this.deps.routing.decideRemoval(this.changeEvent(sync, 'remove', profileId, identities, at), connection);
        await this.deps.routing.queue(decided);
        this.deps.members.removed(sync.audience, sync.connection, profileId, this.deps.clock());
      }
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

  private syncsOf(audienceKey: string): Array<{ sync: AudienceSyncConfig; connection: RoutableConnection }> {
    const connections = new Map(this.deps.connections().map((c) => [c.id, c]));
    return this.deps.syncs().flatMap((sync) => {
      const connection = sync.audience === audienceKey ? connections.get(sync.connection) : undefined;
      return connection && (sync.as !== 'audience' || connection.connector.audience) ? [{ sync, connection }] : [];
    });
  }

  private changeEvent(sync: AudienceSyncConfig, action: 'add' | 'remove', profileId: string, identities: Record<string, string>, at: number): CanonicalEvent {
    const when = new Date(at).toISOString();
    const name = this.deps.audienceName(sync.audience);
    return {
      messageId: `aud-${profileId}-${sync.audience}-${action}-${at}`,
      type: 'audience',
      profileId,
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
      messageId: `aud-${profileId}-${sync.audience}-${entered ? 'entered' : 'exited'}-${at}`,
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
}
