import { createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import type { SubjectRecord } from '@switchyard/sdk-kit';
import type { ProfileStore } from '../profiles/profile-store.js';
import type { DeliveryQueue } from '../queue/delivery-queue.js';
import type { SuppressionStore } from '../privacy/suppression-store.js';
import type { Person } from '../identity/identity-graph.js';

/** Where Switchyard itself holds a subject's data. */
export interface HeldData {
  profiles: ProfileStore;
  suppressions: SuppressionStore;
  queue: DeliveryQueue;
  /** The person in the identity graph: their profile id and every identifier linked to it. */
  persons: readonly Person[];
}

/**
 * Writes a subject's access/portability export as JSON Lines: the person's identifiers in the identity graph,
 * their profile (consent, traits) per identity and profile key, their suppressions, every event still queued or dead-lettered, and what each connection read
 * back with `onExport`. Returns the number of lines.
 */
export async function writeSubjectExport(
  file: string,
  keys: readonly string[],
  held: HeldData,
  fromConnections: ReadonlyMap<string, SubjectRecord[]>,
): Promise<number> {
  const out = createWriteStream(file, { mode: 0o600 });
  // Listening from the start: a write error while the queue is being read must reject, not crash the process.
  const written = finished(out);
  written.catch(() => undefined);
  let count = 0;
  const write = (line: unknown) => {
    out.write(`${JSON.stringify(line)}\n`);
    count += 1;
  };
  try {
    for (const person of held.persons) {
      write({
        kind: 'identity',
        profile_id: person.profileId,
        merged_profiles: person.aliases,
        identifiers: person.identifiers.map(({ type, value }) => ({ type, value })),
      });
    }
    for (const key of keys) {
      const profile = held.profiles.get(key);
      if (profile)
        write({ kind: 'profile', identity: key, consent: profile.consent, traits: profile.traits, updated_at: new Date(profile.updatedAt).toISOString() });
    }
    for (const s of held.suppressions.matching(keys)) write({ kind: 'suppression', ...s });
    for (const event of await held.queue.findByIdentity([...keys])) {
      write({ kind: 'event', held_in: event.where, connections: event.connectionIds, event: JSON.parse(event.body) as unknown });
    }
    for (const [connection, records] of fromConnections) {
      for (const record of records) write({ kind: 'connection_record', connection, source: record.source, data: record.data });
    }
  } catch (error) {
    out.destroy();
    throw error;
  }
  out.end();
  await written;
  return count;
}
