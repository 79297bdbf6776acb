/**
 * The statements of the PostgreSQL identity store, for one schema: the SQLite store's, in PostgreSQL's words, reading
 * and writing many rows per statement (`= ANY`, `unnest`). The schema name is checked before it gets here; every
 * value is a parameter.
 */
export type IdentityStatements = ReturnType<typeof identityStatements>;

export function identityStatements(schema: string) {
  const [profiles, links, aliases, log, separations, tombstones] = ['profiles', 'links', 'aliases', 'log', 'separations', 'tombstones'].map(
    (name) => `"${schema}".identity_${name}`,
  );
  const logColumns = 'id, at, kind, profile_id, other_profile_id, identifiers, cause, rule';
  return {
    // Index names are local to the schema of their table.
    schema: `
CREATE SCHEMA IF NOT EXISTS "${schema}";
CREATE TABLE IF NOT EXISTS ${profiles} (id text COLLATE "C" PRIMARY KEY, created_at bigint NOT NULL);
CREATE TABLE IF NOT EXISTS ${links} (
  key text COLLATE "C" NOT NULL, profile_id text COLLATE "C" NOT NULL, type text NOT NULL, value text NOT NULL, linked_at bigint NOT NULL,
  PRIMARY KEY (key, profile_id)
);
CREATE INDEX IF NOT EXISTS identity_links_profile ON ${links} (profile_id);
CREATE TABLE IF NOT EXISTS ${aliases} (id text COLLATE "C" PRIMARY KEY, survivor text COLLATE "C" NOT NULL);
CREATE INDEX IF NOT EXISTS identity_aliases_survivor ON ${aliases} (survivor);
CREATE TABLE IF NOT EXISTS ${log} (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, at bigint NOT NULL, kind text NOT NULL, profile_id text COLLATE "C" NOT NULL,
  other_profile_id text COLLATE "C", identifiers text NOT NULL, cause text NOT NULL, rule text NOT NULL
);
CREATE INDEX IF NOT EXISTS identity_log_profile ON ${log} (profile_id);
CREATE INDEX IF NOT EXISTS identity_log_other ON ${log} (other_profile_id);
CREATE TABLE IF NOT EXISTS ${separations} (a text COLLATE "C" NOT NULL, b text COLLATE "C" NOT NULL, PRIMARY KEY (a, b));
CREATE INDEX IF NOT EXISTS identity_separations_b ON ${separations} (b);
CREATE TABLE IF NOT EXISTS ${tombstones} (hash text COLLATE "C" PRIMARY KEY, erased_at bigint NOT NULL);
`,
    // Concurrent CREATE … IF NOT EXISTS of the same schema can still collide; routers starting together take turns.
    schemaLock: `SELECT pg_advisory_xact_lock(hashtext('switchyard.identity'), hashtext($1))`,
    byKey: `SELECT key, profile_id FROM ${links} WHERE key = ANY($1::text[]) ORDER BY key, profile_id`,
    survivors: `SELECT id, survivor FROM ${aliases} WHERE id = ANY($1::text[])`,
    profiles: `SELECT p.id, p.created_at, l.key, l.type, l.value, l.linked_at FROM ${profiles} p LEFT JOIN ${links} l ON l.profile_id = p.id
      WHERE p.id = ANY($1::text[]) ORDER BY p.id, l.linked_at, l.key`,
    aliases: `SELECT survivor, id FROM ${aliases} WHERE survivor = ANY($1::text[]) ORDER BY survivor, id`,
    separations: `SELECT a, b FROM ${separations} WHERE b = ANY($1::text[]) OR a = ANY($2::text[])`,
    tombstoned: `SELECT hash FROM ${tombstones} WHERE hash = ANY($1::text[])`,
    anyTombstone: `SELECT EXISTS (SELECT 1 FROM ${tombstones}) AS any`,
    create: `INSERT INTO ${profiles} (id, created_at) SELECT * FROM unnest($1::text[], $2::bigint[]) ON CONFLICT DO NOTHING`,
    restore: `WITH unaliased AS (DELETE FROM ${aliases} WHERE id = ANY($1::text[]))
      INSERT INTO ${profiles} (id, created_at) SELECT id, $2::bigint FROM unnest($1::text[]) AS restored (id) ON CONFLICT DO NOTHING`,
    // One statement per merge; its parts see the same snapshot, so the links moved are the ones deleted.
    merge: `WITH moved AS (
        INSERT INTO ${links} (key, profile_id, type, value, linked_at) SELECT key, $2::text, type, value, linked_at FROM ${links} WHERE profile_id = $1
        ON CONFLICT DO NOTHING
      ), dropped_links AS (DELETE FROM ${links} WHERE profile_id = $1),
      dropped AS (DELETE FROM ${profiles} WHERE id = $1),
      repointed AS (UPDATE ${aliases} SET survivor = $2 WHERE survivor = $1)
      INSERT INTO ${aliases} (id, survivor) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET survivor = excluded.survivor`,
    // The survivor keeps what the absorbed profile was kept apart from (the absorbed rows stay for a split).
    moveSeparations: `INSERT INTO ${separations} (a, b)
      SELECT CASE WHEN a = 'profile:' || $1 THEN 'profile:' || $2 ELSE a END, CASE WHEN b = $1 THEN $2 ELSE b END
      FROM ${separations} WHERE a = 'profile:' || $1 OR b = $1 ON CONFLICT DO NOTHING`,
    unlink: `DELETE FROM ${links} l USING unnest($1::text[], $2::text[]) AS u (key, profile_id) WHERE l.key = u.key AND l.profile_id = u.profile_id`,
    link: `INSERT INTO ${links} (key, profile_id, type, value, linked_at)
      SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[]) ON CONFLICT DO NOTHING`,
    separate: `INSERT INTO ${separations} (a, b) SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT DO NOTHING`,
    // Log ids follow the order of the change's entries.
    log: `INSERT INTO ${log} (at, kind, profile_id, other_profile_id, identifiers, cause, rule)
      SELECT at, kind, profile_id, other_profile_id, identifiers, cause, rule
      FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
        WITH ORDINALITY AS e (at, kind, profile_id, other_profile_id, identifiers, cause, rule, n)
      ORDER BY n`,
    logOf: `SELECT ${logColumns} FROM ${log} WHERE profile_id = $1 OR other_profile_id = $1 ORDER BY id DESC LIMIT $2`,
    logEntry: `SELECT ${logColumns} FROM ${log} WHERE id = $1`,
    eraseLog: `WITH names AS (SELECT unnest($1::text[]) AS id UNION SELECT id FROM ${aliases} WHERE survivor = ANY($1::text[]))
      DELETE FROM ${log} WHERE profile_id IN (SELECT id FROM names) OR other_profile_id IN (SELECT id FROM names)`,
    dropLinks: `DELETE FROM ${links} WHERE profile_id = ANY($1::text[])`,
    dropProfiles: `DELETE FROM ${profiles} WHERE id = ANY($1::text[])`,
    eraseAliases: `DELETE FROM ${aliases} WHERE survivor = ANY($1::text[]) OR id = ANY($1::text[])`,
    eraseSeparations: `WITH names AS (SELECT unnest($1::text[]) AS id UNION SELECT id FROM ${aliases} WHERE survivor = ANY($1::text[]))
      DELETE FROM ${separations} WHERE a IN (SELECT 'profile:' || id FROM names) OR b IN (SELECT id FROM names)`,
    addTombstones: `INSERT INTO ${tombstones} (hash, erased_at) SELECT hash, $2::bigint FROM unnest($1::text[]) AS t (hash) ON CONFLICT DO NOTHING`,
    countLinks: `SELECT count(*) AS n FROM ${links}`,
  };
}
