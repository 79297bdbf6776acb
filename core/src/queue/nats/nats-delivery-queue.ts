import { randomUUID } from 'node:crypto';
import type { PubAck } from 'nats';
import type { DeliveryQueue } from '../delivery-queue.js';
import type { AcceptedEvent, DeadLetter, DeadLetterFilter, DeliveryError, QueuedDelivery, Reschedule } from '../../types.js';
import { decodeDeadLetter, decodeDelivery, encodeDeadLetter, encodeDelivery, toQueuedDelivery, type DeliveryHeaders } from './nats-codec.js';
import { NatsLink, type NatsQueueOptions } from './nats-link.js';
import { pullNoWait, type PulledMessage } from './nats-pull.js';
import { firstOnSubject, getStored, ignoreNotFound } from './nats-scan.js';
import { findByIdentityKeys, removeMessages, selectDeadLetters } from './nats-stream-reads.js';

/** A delivery this router pulled from its connection's consumer: waiting to be leased, leased, or waiting for a retry. */
interface Held {
  msg: PulledMessage;
  headers: DeliveryHeaders;
  body: string;
  attempts: number;
  dueAt: number;
  leased: boolean;
  /** When it last became this router's to act on (pulled, handed back, rescheduled). */
  since: number;
}

/** Retries due within this are held by the router that scheduled them; later ones go back to JetStream with a delay. */
const HOLD_WINDOW_MS = 10_000;
/** Unleased deliveries a router holds per connection at most (pulled ahead for a micro-batch, or waiting for a retry). */
const MAX_HELD_PER_CONNECTION = 2_000;
const MAX_IN_FLIGHT_PUBLISHES = 1_024;
/**
 * A lease older than this is no longer extended: a dispatcher that lost track of it (a settle that failed while
 * NATS was away) must not hold it forever; JetStream hands it out again after the ack wait.
 */
const MAX_LEASE_MS = 5 * 60 * 1000;

/**
 * The queue on NATS JetStream, shared by every router of a deployment. One work-queue stream holds a message
 * per delivery (subject `<stream>.deliveries.<connection>`); each connection has one durable pull consumer that
 * all routers pull from, so a delivery goes to one router at a time and moves on to another if that router stops
 * answering for the consumer's ack wait. Dead letters are a second stream. Delivery ids are stream sequences.
 */
export class NatsDeliveryQueue implements DeliveryQueue {
  private readonly held = new Map<number, Held>();
  private readonly heartbeat: NodeJS.Timeout;
  private inFlight = 0;
  private readonly waitingToPublish: Array<() => void> = [];

  private constructor(private readonly link: NatsLink) {
    this.heartbeat = setInterval(() => this.tend(), Math.max(100, Math.floor(link.ackWaitMs / 3)));
    this.heartbeat.unref();
  }

  static async open(options: NatsQueueOptions): Promise<NatsDeliveryQueue> {
    return new NatsDeliveryQueue(await NatsLink.open(options));
  }

  /** Resolves once JetStream acknowledged every delivery's publish; rejects at once when NATS is unreachable. */
  async enqueue(events: AcceptedEvent[]): Promise<void> {
    for (const event of events) {
      if (event.connectionIds.length && typeof event.body !== 'string') throw new TypeError(`event ${event.messageId} has no body to store`);
    }
    this.link.ready();
    const enqueuedAt = Date.now();
    await Promise.all(
      events.flatMap((event) => {
        const eventId = randomUUID();
        return event.connectionIds.map((connectionId) =>
          this.publish(
            this.link.names.deliverySubject(connectionId),
            event.body,
            encodeDelivery({ ...event, connectionId, eventId, enqueuedAt, privacyVersion: event.privacyVersion ?? 0 }),
          ),
        );
      }),
    );
  }

  async lease(connectionId: string, limit: number, now: number): Promise<QueuedDelivery[]> {
    const due = this.due(connectionId, now);
    if (due.length < limit) {
      await this.pull(connectionId, limit - due.length);
      due.splice(0, due.length, ...this.due(connectionId, now));
    }
    return due.slice(0, limit).map((held) => {
      held.leased = true;
      held.since = Date.now();
      return toQueuedDelivery(held.msg.seq, held.headers, held.body, held.attempts);
    });
  }

  async countReady(connectionId: string, now: number, cap: number): Promise<number> {
    const due = this.due(connectionId, now).length;
    if (due < cap) await this.pull(connectionId, cap - due);
    return Math.min(cap, this.due(connectionId, now).length);
  }

  async nextDueAt(connectionId: string): Promise<number | undefined> {
    let next: number | undefined;
    for (const held of this.held.values()) {
      if (held.headers.connectionId === connectionId && !held.leased) next = Math.min(next ?? Infinity, held.dueAt);
    }
    return next;
  }

  async complete(ids: number[]): Promise<void> {
    const { nc, jsm } = this.link.ready();
    const elsewhere: number[] = [];
    for (const id of ids) {
      const held = this.held.get(id);
      if (held) {
        held.msg.ack();
        this.held.delete(id);
      } else elsewhere.push(id);
    }
    // A delivery this router handed back (a retry sent back to JetStream) is removed by its sequence.
    await Promise.all(elsewhere.map((id) => jsm.streams.deleteMessage(this.link.names.deliveries, id, false).catch(ignoreNotFound)));
    await nc.flush();
  }

  async reschedule(items: Reschedule[]): Promise<void> {
    // Recorded in JetStream, so whichever router gets the delivery next knows its attempts and when it is due.
    await Promise.all(items.map((item) => this.link.putRetry(item.id, { attempts: item.attempts, dueAt: item.nextAttemptAt })));
    const now = Date.now();
    for (const item of items) {
      const held = this.held.get(item.id);
      if (!held) continue;
      Object.assign(held, { attempts: item.attempts, dueAt: item.nextAttemptAt, leased: false, since: now });
      this.holdOrHandBack(held, now);
    }
  }

  async release(ids: number[], nextAttemptAt = 0): Promise<void> {
    const now = Date.now();
    for (const id of ids) {
      const held = this.held.get(id);
      if (!held) continue;
      Object.assign(held, { dueAt: Math.max(held.dueAt, nextAttemptAt), leased: false, since: now });
      this.holdOrHandBack(held, now);
    }
  }

  /** Writes the dead letters, then removes the deliveries; if any write fails, the written ones are removed again. */
  async deadLetter(items: Array<{ id: number; attempts: number; error: DeliveryError }>, now: number): Promise<void> {
    for (const item of items) {
      if (typeof item.error !== 'object' || item.error === null)
        throw new TypeError(`delivery ${item.id} cannot be dead-lettered without the error that ended it`);
    }
    const { jsm, nc } = this.link.ready();
    const names = this.link.names;
    const sources = await Promise.all(items.map(async (item) => ({ item, stored: await this.deliveryMessage(item.id) })));
    const written = await Promise.allSettled(
      sources.map(({ item, stored }) =>
        stored
          ? this.publish(
              names.deadLetterSubject(stored.headers.connectionId),
              stored.body,
              encodeDeadLetter({ ...stored.headers, attempts: item.attempts, deadAt: now, error: item.error }),
            )
          : Promise.resolve(undefined),
      ),
    );
    const failed = written.find((w): w is PromiseRejectedResult => w.status === 'rejected');
    if (failed) {
      await Promise.all(
        written.map((w) =>
          w.status === 'fulfilled' && w.value ? jsm.streams.deleteMessage(names.deadLetters, w.value.seq, false).catch(() => false) : undefined,
        ),
      );
      throw failed.reason;
    }
    for (const { item } of sources) {
      const held = this.held.get(item.id);
      if (held) held.msg.ack();
      else await jsm.streams.deleteMessage(names.deliveries, item.id, false).catch(ignoreNotFound);
      this.held.delete(item.id);
    }
    await nc.flush();
  }

  async listDeadLetters(filter: DeadLetterFilter = {}): Promise<DeadLetter[]> {
    return (await selectDeadLetters(this.link.ready().jsm, this.link.names, filter, 100)).map(({ seq, headers, body }) => {
      const d = decodeDeadLetter(headers);
      return { ...toQueuedDelivery(seq, d, body, d.attempts), deadAt: d.deadAt, error: d.error };
    });
  }

  async replayDeadLetters(filter: DeadLetterFilter, now: number): Promise<number> {
    const letters = await selectDeadLetters(this.link.ready().jsm, this.link.names, filter, Infinity);
    const names = this.link.names;
    await Promise.all(
      letters.map(({ headers, body }) => {
        const d = decodeDeadLetter(headers);
        // Version 0: a replayed delivery is checked against every revocation again before it leaves.
        return this.publish(names.deliverySubject(d.connectionId), body, encodeDelivery({ ...d, enqueuedAt: now, privacyVersion: 0 }));
      }),
    );
    await removeMessages(
      this.link.ready().jsm,
      names.deadLetters,
      letters.map((l) => l.seq),
    );
    return letters.length;
  }

  async purgeDeadLetters(filter: DeadLetterFilter): Promise<number> {
    const names = this.link.names;
    if (filter.ids === undefined && filter.afterId === undefined && filter.limit === undefined) {
      const subject = filter.connectionId === undefined ? names.allDeadLetters : names.deadLetterSubject(filter.connectionId);
      return (await this.link.ready().jsm.streams.purge(names.deadLetters, { filter: subject })).purged;
    }
    const letters = await selectDeadLetters(this.link.ready().jsm, this.link.names, filter, Infinity);
    await removeMessages(
      this.link.ready().jsm,
      names.deadLetters,
      letters.map((l) => l.seq),
    );
    return letters.length;
  }

  /**
   * Walks both streams (identity keys travel in a header) and deletes the matching messages: one request per
   * queued delivery and dead letter, so its cost grows with the backlog (about 0.5 s per thousand on a loaded 2-core machine),
   * not with the subject's events. Deliveries another router
   * already pulled stay there until it settles them; the privacy gate checks them again before they leave.
   */
  async purgeIdentity(identityKeys: string[]): Promise<{ events: number; deadLetters: number }> {
    if (identityKeys.length === 0) return { events: 0, deadLetters: 0 };
    const names = this.link.names;
    const queued = await findByIdentityKeys(this.link.ready().jsm, names.deliveries, names.allDeliveries, identityKeys);
    const dead = await findByIdentityKeys(this.link.ready().jsm, names.deadLetters, names.allDeadLetters, identityKeys);
    for (const { seq } of queued) {
      const held = this.held.get(seq);
      if (held && !held.leased) this.held.delete(seq);
    }
    await removeMessages(
      this.link.ready().jsm,
      names.deliveries,
      queued.map((m) => m.seq),
    );
    await removeMessages(
      this.link.ready().jsm,
      names.deadLetters,
      dead.map((m) => m.seq),
    );
    return { events: new Set(queued.map((m) => decodeDelivery(m.headers).eventId)).size, deadLetters: dead.length };
  }

  /** Same scan as purgeIdentity. */
  async findByIdentity(identityKeys: string[]): Promise<Array<{ where: 'queue' | 'dead-letters'; connectionIds: string[]; body: string }>> {
    if (identityKeys.length === 0) return [];
    this.link.ready();
    const names = this.link.names;
    const events = new Map<string, { where: 'queue'; connectionIds: string[]; body: string }>();
    for (const m of await findByIdentityKeys(this.link.ready().jsm, names.deliveries, names.allDeliveries, identityKeys)) {
      const d = decodeDelivery(m.headers);
      const event = events.get(d.eventId) ?? { where: 'queue' as const, connectionIds: [], body: m.body };
      event.connectionIds.push(d.connectionId);
      events.set(d.eventId, event);
    }
    const dead = (await findByIdentityKeys(this.link.ready().jsm, names.deadLetters, names.allDeadLetters, identityKeys)).map((m) => ({
      where: 'dead-letters' as const,
      connectionIds: [decodeDelivery(m.headers).connectionId],
      body: m.body,
    }));
    return [...events.values(), ...dead];
  }

  async depth(): Promise<Record<string, number>> {
    const names = this.link.names;
    const info = await this.link.ready().jsm.streams.info(names.deliveries, { subjects_filter: names.allDeliveries });
    const prefix = names.deliverySubject('');
    return Object.fromEntries(Object.entries(info.state.subjects ?? {}).map(([subject, n]) => [subject.slice(prefix.length), n]));
  }

  /** The first message of each connection's subject: deliveries keep their place in the stream while retried. */
  async oldestQueuedAt(): Promise<Record<string, number>> {
    const { jsm } = this.link.ready();
    const names = this.link.names;
    const oldest: Record<string, number> = {};
    await Promise.all(
      Object.keys(await this.depth()).map(async (connectionId) => {
        try {
          const first = await firstOnSubject(jsm, names.deliveries, names.deliverySubject(connectionId), 1);
          oldest[connectionId] = decodeDelivery(first.header).enqueuedAt;
        } catch (error) {
          ignoreNotFound(error);
        }
      }),
    );
    return oldest;
  }

  /** Hands every held delivery back to JetStream at once, for the other routers (or the next start). */
  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    for (const held of this.held.values()) held.msg.nak();
    this.held.clear();
    await this.link.close();
  }

  private due(connectionId: string, now: number): Held[] {
    return [...this.held.values()]
      .filter((h) => h.headers.connectionId === connectionId && !h.leased && h.dueAt <= now)
      .sort((a, b) => a.dueAt - b.dueAt || a.msg.seq - b.msg.seq);
  }

  /** Pulls up to `want` more deliveries of the connection without waiting for any; nothing while NATS is away. */
  private async pull(connectionId: string, want: number): Promise<void> {
    const handles = this.link.current();
    if (!handles) return;
    let unleased = 0;
    for (const held of this.held.values()) if (held.headers.connectionId === connectionId && !held.leased) unleased += 1;
    const batch = Math.min(want, MAX_HELD_PER_CONNECTION - unleased);
    if (batch <= 0) return;
    await this.link.ensureConsumer(connectionId);
    const taking: Array<Promise<void>> = [];
    const pull = { stream: this.link.names.deliveries, consumer: connectionId, batch, listenMs: this.link.ackWaitMs };
    // One that arrives after the pull resolved is taken all the same: it is this router's until it hands it back.
    // One it could not take (NATS went away reading its retry record) goes back at once rather than after the ack wait.
    await pullNoWait(handles.nc, pull, (msg) => {
      const taken = this.take(msg);
      taken.catch(() => msg.nak());
      taking.push(taken);
    });
    await Promise.all(taking);
  }

  private async take(msg: PulledMessage): Promise<void> {
    const known = this.held.get(msg.seq);
    if (known) {
      // JetStream gave it to us again, so our hold on it lapsed (NATS was away, or it was leased past MAX_LEASE_MS):
      // it is ours to lease afresh; a dispatcher still sending it makes this an at-least-once duplicate.
      Object.assign(known, { msg, leased: false, since: Date.now() });
      return;
    }
    const headers = decodeDelivery(msg.headers);
    // A redelivery (a retry handed back, or a crashed router's delivery) carries its attempts in the retry records.
    const retry = msg.redelivered ? await this.link.getRetry(msg.seq) : undefined;
    this.held.set(msg.seq, {
      msg,
      headers,
      body: msg.body,
      attempts: retry?.attempts ?? 0,
      dueAt: retry?.dueAt ?? headers.enqueuedAt,
      leased: false,
      since: Date.now(),
    });
  }

  private holdOrHandBack(held: Held, now: number): void {
    if (held.dueAt - now <= HOLD_WINDOW_MS) return;
    held.msg.nak(held.dueAt - now);
    this.held.delete(held.msg.seq);
  }

  /**
   * Runs every third of the ack wait: tells JetStream this router still works on (or waits to retry) what it
   * holds, and hands back deliveries pulled ahead that nobody leased for half the ack wait (breaker open).
   */
  private tend(): void {
    if (!this.link.current()) return;
    const now = Date.now();
    for (const held of this.held.values()) {
      const idle = !held.leased && held.dueAt <= now && now - Math.max(held.since, held.dueAt) > this.link.ackWaitMs / 2;
      if (idle) {
        held.msg.nak();
        this.held.delete(held.msg.seq);
      } else if (!held.leased || now - held.since < MAX_LEASE_MS) held.msg.working();
    }
  }

  /** The delivery's headers and body: from what this router holds, else from the stream. */
  private async deliveryMessage(id: number): Promise<{ headers: DeliveryHeaders; body: string } | undefined> {
    const held = this.held.get(id);
    if (held) return held;
    const stored = await getStored(this.link.ready().jsm, this.link.names.deliveries, id);
    return stored && { headers: decodeDelivery(stored.headers), body: stored.body };
  }

  /** An async publish; at most MAX_IN_FLIGHT_PUBLISHES wait for their acknowledgement at once. */
  private async publish(subject: string, body: string, headers: ReturnType<typeof encodeDelivery>): Promise<PubAck> {
    while (this.inFlight >= MAX_IN_FLIGHT_PUBLISHES) await new Promise<void>((resolve) => this.waitingToPublish.push(resolve));
    this.inFlight += 1;
    try {
      return await this.link.ready().js.publish(subject, body, { headers });
    } finally {
      this.inFlight -= 1;
      this.waitingToPublish.shift()?.();
    }
  }
}
