import type { JetStreamManager } from 'nats';
import type { DeadLetterFilter } from '../../types.js';
import { decodeDelivery } from './nats-codec.js';
import type { natsNames } from './nats-link.js';
import { getStored, ignoreNotFound, scanStream, type StoredMessage } from './nats-scan.js';

type Names = ReturnType<typeof natsNames>;

/** The dead letters a filter selects, in order: by id one request each, else a walk of the connection's subject. */
export async function selectDeadLetters(jsm: JetStreamManager, names: Names, filter: DeadLetterFilter, defaultLimit: number): Promise<StoredMessage[]> {
  const limit = filter.limit === undefined || filter.limit < 0 ? defaultLimit : filter.limit;
  if (filter.ids !== undefined) {
    const found = await Promise.all(filter.ids.map((id) => getStored(jsm, names.deadLetters, id)));
    return found
      .filter((m): m is StoredMessage => m !== undefined)
      .filter((m) => filter.connectionId === undefined || decodeDelivery(m.headers).connectionId === filter.connectionId)
      .filter((m) => filter.afterId === undefined || m.seq > filter.afterId)
      .sort((a, b) => a.seq - b.seq)
      .slice(0, limit);
  }
  const subject = filter.connectionId === undefined ? names.allDeadLetters : names.deadLetterSubject(filter.connectionId);
  return scanStream(jsm, names.deadLetters, subject, { startSeq: (filter.afterId ?? 0) + 1, limit });
}

/** Every message on `subject` whose identity keys header holds any of `identityKeys`. */
export async function findByIdentityKeys(jsm: JetStreamManager, stream: string, subject: string, identityKeys: string[]): Promise<StoredMessage[]> {
  const wanted = new Set(identityKeys);
  const all = await scanStream(jsm, stream, subject);
  return all.filter((m) => decodeDelivery(m.headers).identityKeys.some((key) => wanted.has(key)));
}

/** Deletes the messages; ones already gone are fine. */
export async function removeMessages(jsm: JetStreamManager, stream: string, seqs: number[]): Promise<void> {
  await Promise.all(seqs.map((seq) => jsm.streams.deleteMessage(stream, seq, false).catch(ignoreNotFound)));
}
