import type { AcceptedEvent, DeadLetter, DeadLetterFilter, DeliveryError, QueuedDelivery, Reschedule } from '../types.js';

/**
 * The durable queue between acceptance and delivery: the embedded SQLite queue (sqlite-delivery-queue.ts, the
 * default) or NATS JetStream shared by several routers (nats/nats-delivery-queue.ts). Delivery ids are row ids in
 * SQLite and stream sequences in JetStream; a lease is held by the process that took it (in JetStream, until that
 * router settles the delivery or stops answering for the consumer's ack wait).
 * Every method that changes state has finished durably when its promise resolves.
 */
export interface DeliveryQueue {
  /** Durably stores events with one delivery per connection; resolves once written. */
  enqueue(events: AcceptedEvent[]): Promise<void>;
  /** Hands out up to `limit` deliveries due by `now`; they stay leased until completed, rescheduled or released. */
  lease(connectionId: string, limit: number, now: number): Promise<QueuedDelivery[]>;
  /** How many deliveries are due (capped at `cap`), to decide whether a micro-batch is full. */
  countReady(connectionId: string, now: number, cap: number): Promise<number>;
  /** When the next not-yet-due delivery of the connection becomes due, if any. */
  nextDueAt(connectionId: string): Promise<number | undefined>;
  complete(ids: number[]): Promise<void>;
  reschedule(items: Reschedule[]): Promise<void>;
  /** Puts leased deliveries back untouched (shutdown, breaker open). */
  release(ids: number[], nextAttemptAt?: number): Promise<void>;
  deadLetter(items: Array<{ id: number; attempts: number; error: DeliveryError }>, now: number): Promise<void>;
  listDeadLetters(filter?: DeadLetterFilter): Promise<DeadLetter[]>;
  /** Moves dead letters back into the queue as fresh deliveries; returns how many. */
  replayDeadLetters(filter: DeadLetterFilter, now: number): Promise<number>;
  purgeDeadLetters(filter: DeadLetterFilter): Promise<number>;
  /**
   * Removes every queued, retrying (leased included) and dead-lettered event of any of these identities
   * (data-subject erasure). Returns how many events and dead letters went.
   */
  purgeIdentity(identityKeys: string[]): Promise<{ events: number; deadLetters: number }>;
  /** Every event still held for any of these identities, queued or dead-lettered (data-subject access). */
  findByIdentity(identityKeys: string[]): Promise<Array<{ where: 'queue' | 'dead-letters'; connectionIds: string[]; body: string }>>;
  /** Queued (not dead) deliveries per connection. */
  depth(): Promise<Record<string, number>>;
  /**
   * When the oldest queued delivery of each connection was enqueued (epoch ms): the same deliveries `depth` counts
   * (due, waiting for a retry or being attempted; not dead letters). Connections with nothing queued are absent.
   */
  oldestQueuedAt(): Promise<Record<string, number>>;
  close(): Promise<void>;
}
