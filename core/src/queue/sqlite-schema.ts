/**
 * Schema of the embedded queue. An event row goes with its last delivery (the trigger). An event's identities are one
 * JSON array in a narrow table keyed by the event, read only by data-subject requests (which scan it): one row per
 * event costs acceptance and completion little, where a row per identity with two indexes doubled their b-tree
 * writes, and a narrow table scans several times faster than the events with their bodies.
 */
export const SCHEMA = `
CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY,
  message_id TEXT NOT NULL,
  source_id TEXT NOT NULL,
  body TEXT NOT NULL,
  accepted_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS event_identity_keys (
  event_seq INTEGER PRIMARY KEY REFERENCES events(seq) ON DELETE CASCADE,
  identity_keys TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS deliveries (
  id INTEGER PRIMARY KEY,
  event_seq INTEGER NOT NULL REFERENCES events(seq) ON DELETE CASCADE,
  connection_id TEXT NOT NULL,
  leased INTEGER NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  enqueued_at INTEGER NOT NULL,
  privacy_version INTEGER NOT NULL DEFAULT 0,
  last_error TEXT
);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries(connection_id, leased, next_attempt_at, id);
CREATE INDEX IF NOT EXISTS deliveries_by_event ON deliveries(event_seq);
CREATE INDEX IF NOT EXISTS deliveries_by_age ON deliveries(connection_id, enqueued_at);
CREATE TRIGGER IF NOT EXISTS drop_event_when_delivered AFTER DELETE ON deliveries
  WHEN NOT EXISTS (SELECT 1 FROM deliveries WHERE event_seq = OLD.event_seq)
  BEGIN DELETE FROM events WHERE seq = OLD.event_seq; END;
CREATE TABLE IF NOT EXISTS dead_letters (
  id INTEGER PRIMARY KEY,
  connection_id TEXT NOT NULL,
  message_id TEXT NOT NULL,
  source_id TEXT NOT NULL,
  body TEXT NOT NULL,
  identity_keys TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  enqueued_at INTEGER NOT NULL,
  dead_at INTEGER NOT NULL,
  error TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS dead_letters_by_connection ON dead_letters(connection_id, id);
`;

/** Columns added after the first release, for queues created before them. */
export const ADDED_COLUMNS = [{ table: 'deliveries', column: 'privacy_version', definition: 'INTEGER NOT NULL DEFAULT 0' }];

/**
 * Queue files from before event_identity_keys kept a row per identity (event_identities): move them into one array
 * per event and drop the old table. One way: an older Switchyard opening the upgraded file no longer finds them.
 */
export const MOVE_IDENTITIES_INTO_ARRAYS = `
INSERT INTO event_identity_keys (event_seq, identity_keys)
  SELECT event_seq, json_group_array(identity_key) FROM event_identities GROUP BY event_seq;
DROP TABLE event_identities;
`;
