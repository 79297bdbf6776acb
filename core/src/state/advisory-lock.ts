import type pg from 'pg';

/**
 * Runs `work` while this session holds a PostgreSQL advisory lock named by `name` and the schema, so routers
 * sharing the schema run such work one at a time. The lock is held by one pooled session for the duration; the
 * work's own queries may use other sessions.
 */
export async function withAdvisoryLock<T>(pool: pg.Pool, name: string, schema: string, work: () => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('SELECT pg_advisory_lock(hashtext($1), hashtext($2))', [name, schema]);
    try {
      return await work();
    } finally {
      await client.query('SELECT pg_advisory_unlock(hashtext($1), hashtext($2))', [name, schema]).catch((error: Error) => (broken = error));
    }
  } finally {
    // A session that could not unlock is closed, which releases its lock.
    client.release(broken);
  }
}
