import type { CanonicalEvent } from '@switchyard/sdk-kit';
import type { PrivacyConnection, PrivacyGate, PrivacyStanding } from '../privacy/privacy-gate.js';
import type { PrivacyAudit } from '../privacy/privacy-audit.js';
import { acceptedEvent } from './accepted-event.js';
import type { AcceptedEvent, DeadLetter, DeadLetterFilter, EventTracer, SkippedConnection } from '../types.js';
import type { ConnectionFilters } from './connection-filters.js';
import { explainFanOut, type FanOutConnection, type FanOutOptions } from './fan-out.js';
import { FilterTally, type FilterCounts } from './filter-counts.js';
import { isRequestedMessage } from '../vocabulary/requested-messages.js';

export type RoutableConnection = FanOutConnection & PrivacyConnection & { filters?: ConnectionFilters };

export interface EventRoutingDeps {
  gate: PrivacyGate;
  audit: Pick<PrivacyAudit, 'record'>;
  /** The delivery runtime: stores deliveries durably and wakes their connections. */
  deliveries: {
    accept(events: AcceptedEvent[]): Promise<void>;
    listDeadLetters(filter: DeadLetterFilter): Promise<DeadLetter[]>;
    replayDeadLetters(filter: DeadLetterFilter): Promise<number>;
    purgeDeadLetters(filter: DeadLetterFilter): Promise<number>;
  };
  /** Every configured connection, quarantine connections included (replay finds a dead letter's connection here). */
  connections: () => readonly RoutableConnection[];
  /** The connections system events (rectification) go to: the regular fan-out, without quarantine connections. */
  systemEventTargets: () => readonly RoutableConnection[];
  /** Told of every decision, for the operator's trace by messageId. */
  tracer?: EventTracer;
}

export interface ReplayResult {
  replayed: number;
  /** Dead letters whose subject may no longer be sent to their connection: removed, not replayed. */
  dropped: number;
  /** Dead letters of connections that are not running: left as they are. */
  skipped: number;
}

const REPLAY_PAGE = 500;

/**
 * The one routing decision. Every path that queues a delivery (ingestion, quarantine copies, rectification,
 * dead-letter replay) asks `decide` which connections an event goes to: fan-out (source, `integrations`,
 * action subscriptions), then the privacy gate (suppression, consent, CCPA), then each connection's filters
 * (drop, sample, field removal). The privacy gate reads the event as it arrived, before any filter removed a
 * field it decides by. The decision is stamped with the privacy version it was made at, so the late check
 * before delivery re-decides whatever a later revocation may have changed. Nothing else in the router writes
 * to the queue.
 */
export class EventRouting {
  private readonly filtered = new FilterTally();

  constructor(private readonly deps: EventRoutingDeps) {}

  /**
   * The queue records of `event` for the candidates it may go to, empty when none: one record per distinct body,
   * since a connection whose filters removed fields gets its own. `standing` comes from admission at ingestion;
   * other paths leave it out and the user's stored standing is read (undefined: suppressed).
   */
  decide(event: CanonicalEvent, candidates: readonly RoutableConnection[], standing?: PrivacyStanding, options: FanOutOptions = {}): AcceptedEvent[] {
    const decidedAt = standing ?? this.deps.gate.standingOf(event);
    if (!decidedAt) {
      this.deps.tracer?.dropped(event, 'suppressed');
      return [];
    }
    const { chosen: wanted, skipped } = explainFanOut(event, candidates, options);
    const blocked: SkippedConnection[] = skipped;
    const allowed = wanted.length ? this.deps.gate.allowedConnections(event, decidedAt.consent, wanted, blocked) : [];
    const bodies = new Map<string, { event: CanonicalEvent; connectionIds: string[] }>();
    const unchanged: string[] = [];
    for (const connection of allowed) {
      if (!connection.filters) {
        unchanged.push(connection.id);
        continue;
      }
      const outcome = connection.filters.apply(event);
      if (!outcome.kept) {
        this.filtered.note(connection.id, outcome.reason);
        blocked.push({ connection: connection.id, reason: outcome.reason });
      } else if (outcome.event === event) unchanged.push(connection.id);
      else {
        const body = JSON.stringify(outcome.event);
        const group = bodies.get(body);
        if (group) group.connectionIds.push(connection.id);
        else bodies.set(body, { event: outcome.event, connectionIds: [connection.id] });
      }
    }
    const records = [
      ...(unchanged.length ? [acceptedEvent(event, unchanged, decidedAt.privacyVersion, decidedAt.identityKeys)] : []),
      // Every record is indexed by the identities of the event as it arrived, so erasure finds each body in the queue.
      ...[...bodies].map(([body, group]) => acceptedEvent(group.event, group.connectionIds, decidedAt.privacyVersion, decidedAt.identityKeys, body)),
    ];
    this.deps.tracer?.decided(
      event,
      records.flatMap((r) => r.connectionIds),
      blocked,
    );
    return records;
  }

  /**
   * The queue record of an audience removal (`type: 'audience'`, action `remove`) for its sync's connection. A
   * removal is a deletion, as a data-subject erasure's forwarding is: it passes the privacy gate (a person erased,
   * suppressed or no longer consenting must leave the destination's audience) and the connection's filters, and
   * the late check before delivery lets it through too. Adds take `decide`, so they never pass for such a person.
   */
  decideRemoval(event: CanonicalEvent, connection: RoutableConnection): AcceptedEvent[] {
    if (!isAudienceRemoval(event) || !connection.connector.audience) return [];
    // Filed under no identity: an erasure's purge of the person's queued deliveries must leave their removal.
    const records = [acceptedEvent(event, [connection.id], this.deps.gate.version, [])];
    this.deps.tracer?.decided(event, [connection.id], []);
    return records;
  }

  /**
   * Queues a message a person asked for (the request page's verification mail) for the one connection that sends
   * it: outside the fan-out, consent and filters, filed under no identity (so the erasure it leads to leaves it).
   * False when that connection is not configured.
   */
  async sendRequestedMessage(event: CanonicalEvent, connectionId: string): Promise<boolean> {
    if (!isRequestedMessage(event)) throw new Error(`event ${event.messageId} is not a requested message`);
    if (!this.deps.connections().some((c) => c.id === connectionId)) return false;
    this.deps.tracer?.decided(event, [connectionId], []);
    await this.queue([acceptedEvent(event, [connectionId], this.deps.gate.version, [])]);
    return true;
  }

  /** Events each connection's filters left out, by reason, since the router started. */
  filterCounts(): Record<string, FilterCounts> {
    return this.filtered.byConnection();
  }

  /** Durably queues decided events; resolves once they are stored. */
  async queue(events: readonly AcceptedEvent[]): Promise<void> {
    if (events.length) await this.deps.deliveries.accept([...events]);
  }

  /** A system event (rectification) for every connection that takes it; returns their ids. */
  async publish(event: CanonicalEvent): Promise<string[]> {
    const decided = this.decide(event, this.deps.systemEventTargets(), undefined, { anySource: true });
    await this.queue(decided);
    return decided.flatMap((record) => record.connectionIds);
  }

  /**
   * Puts dead letters back in the queue, each decided again for its connection: a subject suppressed, erased or
   * no longer consenting since the failure is dropped instead.
   */
  async replayDeadLetters(filter: DeadLetterFilter): Promise<ReplayResult> {
    const result: ReplayResult = { replayed: 0, dropped: 0, skipped: 0 };
    const byId = new Map(this.deps.connections().map((c) => [c.id, c]));
    let afterId = filter.afterId;
    for (;;) {
      const page = await this.deps.deliveries.listDeadLetters({ ...filter, afterId, limit: Math.min(REPLAY_PAGE, filter.limit ?? REPLAY_PAGE) });
      if (page.length === 0) break;
      const replay: number[] = [];
      const drop: number[] = [];
      for (const letter of page) {
        const connection = byId.get(letter.connectionId);
        if (!connection) {
          result.skipped += 1;
          continue;
        }
        const event = JSON.parse(letter.body) as CanonicalEvent;
        // The dead letter's body is already what its connection receives: only whether it still goes there counts.
        const decided = this.decide(event, [connection], undefined, { anySource: true, ignoreIntegrations: true });
        (decided.length ? replay : drop).push(letter.id);
      }
      if (replay.length) result.replayed += await this.deps.deliveries.replayDeadLetters({ ids: replay });
      if (drop.length) result.dropped += await this.deps.deliveries.purgeDeadLetters({ ids: drop });
      afterId = page[page.length - 1]!.id;
      if (filter.limit !== undefined || page.length < REPLAY_PAGE) break;
    }
    return result;
  }
}

/** An audience membership change that takes a person out of a destination's audience. */
export function isAudienceRemoval(event: CanonicalEvent): boolean {
  return event.type === 'audience' && event.audience?.action === 'remove';
}
