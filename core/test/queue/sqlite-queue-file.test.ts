import Database from 'better-sqlite3';
import { dirname } from 'node:path';
import { acceptedEvent, HTTP_503, readRows, SQLITE_QUEUES, useQueue } from './queue-implementations.js';

const ids = (items: Array<{ messageId: string }>) => items.map((i) => i.messageId).sort();
const later = () => Date.now() + 60_000;

/** What the SQLite queues keep in their file, beyond the contract every queue meets. */
describe.each(SQLITE_QUEUES)('$name: the queue file', (implementation) => {
  const t = useQueue(implementation);

  it('drops the event row with its last delivery', async () => {
    await t.queue.enqueue([acceptedEvent({ messageId: 'both', connectionIds: ['hook', 'other'] })]);
    const [forHook] = await t.queue.lease('hook', 10, later());
    await t.queue.complete([forHook!.id]);
    expect(readRows(t.location, 'SELECT seq FROM events')).toHaveLength(1);
    const [forOther] = await t.queue.lease('other', 10, later());
    await t.queue.complete([forOther!.id]);
    expect(readRows(t.location, 'SELECT seq FROM events')).toEqual([]);
  });

  it('stores the last error of a rescheduled delivery', async () => {
    await t.queue.enqueue([acceptedEvent()]);
    const [item] = await t.queue.lease('hook', 10, later());
    const at = Date.now() + 100;
    await t.queue.reschedule([{ id: item!.id, attempts: 3, nextAttemptAt: at, error: HTTP_503 }]);
    expect(readRows(t.location, 'SELECT attempts, next_attempt_at, leased, last_error FROM deliveries')).toEqual([
      { attempts: 3, next_attempt_at: at, leased: 0, last_error: JSON.stringify(HTTP_503) },
    ]);
  });

  it('opens a queue file created before privacy_version existed; its deliveries lease at version 0', async () => {
    await t.queue.close();
    const old = new Database(`${dirname(t.location)}/old.db`);
    old.exec(`
      CREATE TABLE events (seq INTEGER PRIMARY KEY, message_id TEXT NOT NULL, source_id TEXT NOT NULL, body TEXT NOT NULL, accepted_at INTEGER NOT NULL);
      CREATE TABLE event_identities (identity_key TEXT NOT NULL, event_seq INTEGER NOT NULL REFERENCES events(seq) ON DELETE CASCADE,
        PRIMARY KEY (identity_key, event_seq)) WITHOUT ROWID;
      CREATE TABLE deliveries (id INTEGER PRIMARY KEY, event_seq INTEGER NOT NULL REFERENCES events(seq) ON DELETE CASCADE,
        connection_id TEXT NOT NULL, leased INTEGER NOT NULL DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL, enqueued_at INTEGER NOT NULL, last_error TEXT);
      INSERT INTO events VALUES (1, 'old-1', 'web', '{"messageId":"old-1"}', 1000);
      INSERT INTO event_identities VALUES ('user_id:u1', 1);
      INSERT INTO deliveries (event_seq, connection_id, leased, attempts, next_attempt_at, enqueued_at) VALUES (1, 'hook', 1, 2, 1000, 1000);
    `);
    old.close();

    t.queue = await implementation.open(`${dirname(t.location)}/old.db`);
    // The old file gained the index that finds the oldest queued delivery without reading the backlog.
    expect(readRows(`${dirname(t.location)}/old.db`, "SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'deliveries_by_age'")).toHaveLength(1);
    expect(await t.queue.oldestQueuedAt()).toEqual({ hook: 1000 });
    const [item] = await t.queue.lease('hook', 10, Date.now());
    expect(item).toEqual({ id: 1, connectionId: 'hook', messageId: 'old-1', body: '{"messageId":"old-1"}', attempts: 2, enqueuedAt: 1000, privacyVersion: 0 });

    await t.queue.enqueue([acceptedEvent({ messageId: 'new', privacyVersion: 3 })]);
    expect((await t.queue.lease('hook', 10, later())).map((d) => [d.messageId, d.privacyVersion])).toEqual([['new', 3]]);
    // The old file gained the trigger too: the event goes with its last delivery.
    await t.queue.complete([item!.id]);
    expect(ids((await t.queue.findByIdentity(['user_id:u1'])).map((f) => JSON.parse(f.body) as { messageId: string }))).toEqual(['new']);
  });

  it('moves the identities of a queue file from before event_identity_keys into one array per event: still found and purged, the old table gone', async () => {
    await t.queue.close();
    const file = `${dirname(t.location)}/identities.db`;
    const old = new Database(file);
    old.exec(`
      CREATE TABLE events (seq INTEGER PRIMARY KEY, message_id TEXT NOT NULL, source_id TEXT NOT NULL, body TEXT NOT NULL, accepted_at INTEGER NOT NULL);
      CREATE TABLE event_identities (identity_key TEXT NOT NULL, event_seq INTEGER NOT NULL REFERENCES events(seq) ON DELETE CASCADE,
        PRIMARY KEY (identity_key, event_seq)) WITHOUT ROWID;
      CREATE INDEX event_identities_by_event ON event_identities(event_seq);
      CREATE TABLE deliveries (id INTEGER PRIMARY KEY, event_seq INTEGER NOT NULL REFERENCES events(seq) ON DELETE CASCADE,
        connection_id TEXT NOT NULL, leased INTEGER NOT NULL DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL, enqueued_at INTEGER NOT NULL, privacy_version INTEGER NOT NULL DEFAULT 0, last_error TEXT);
      INSERT INTO events VALUES (1, 'two-ids', 'web', '{"messageId":"two-ids"}', 1000), (2, 'no-ids', 'web', '{"messageId":"no-ids"}', 1000),
        (3, 'other-user', 'web', '{"messageId":"other-user"}', 1000);
      INSERT INTO event_identities VALUES ('user_id:u1', 1), ('email:u1@example.com', 1), ('user_id:u2', 3);
      INSERT INTO deliveries (event_seq, connection_id, next_attempt_at, enqueued_at) VALUES (1, 'hook', 1000, 1000), (2, 'hook', 1000, 1000),
        (3, 'hook', 1000, 1000);
    `);
    old.close();

    t.queue = await implementation.open(file);
    expect(readRows(file, "SELECT name FROM sqlite_master WHERE name LIKE 'event_identities%' OR name = 'event_identities_by_event'")).toEqual([]);
    const found = (keys: string[]) => t.queue.findByIdentity(keys).then((all) => ids(all.map((f) => JSON.parse(f.body) as { messageId: string })));
    expect(await found(['email:u1@example.com'])).toEqual(['two-ids']);
    expect(await found(['user_id:u2'])).toEqual(['other-user']);
    expect(await t.queue.purgeIdentity(['user_id:u1'])).toEqual({ events: 1, deadLetters: 0 });
    expect(ids(await t.queue.lease('hook', 10, Date.now()))).toEqual(['no-ids', 'other-user']);
    // Reopening the upgraded file changes nothing.
    await t.queue.close();
    t.queue = await implementation.open(file);
    expect(await found(['user_id:u2'])).toEqual(['other-user']);
  });
});
