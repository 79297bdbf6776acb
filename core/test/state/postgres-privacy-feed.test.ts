import pg from 'pg';
import { silentLogger } from '../../src/index.js';
import type { PrivacyChange } from '../../src/privacy/privacy-change.js';
import { PostgresPrivacyFeed, type FeedCursor } from '../../src/privacy/postgres-privacy-feed.js';
import { until } from '../helpers/deliveries.js';
import { dropSchemas, PG_URL, randomSchema } from '../helpers/identity-stores.js';

const memoryCursor = (): FeedCursor => {
  let last = 0;
  return { read: () => last, write: (id) => void (last = id) };
};
const erased = (key: string): PrivacyChange => ({ kind: 'erased', keys: [key] });

describe('the shared privacy feed in PostgreSQL', () => {
  const schemas: string[] = [];
  const feeds: PostgresPrivacyFeed[] = [];
  const open = async (schema: string, cursor = memoryCursor()) => {
    const feed = await PostgresPrivacyFeed.open({ url: PG_URL, schema, log: silentLogger, cursor, pollIntervalMs: 200 });
    feeds.push(feed);
    return feed;
  };
  const newSchema = () => {
    const schema = randomSchema();
    schemas.push(schema);
    return schema;
  };

  afterEach(async () => {
    for (const feed of feeds.splice(0)) await feed.close();
  });
  afterAll(() => dropSchemas(schemas));

  it('creates its schema once however many routers open it together, and refuses a name that is not a schema name', async () => {
    const schema = newSchema();
    await Promise.all([open(schema), open(schema), open(schema)]);
    await expect(open('pg_catalog')).rejects.toThrow(/not a schema name/);
    await expect(open('a-b')).rejects.toMatchObject({ code: 'STATE_SCHEMA_INVALID' });
  });

  it("applies the other routers' changes in the order they were made, never its own, and resumes from its cursor", async () => {
    const schema = newSchema();
    const [a, b] = [await open(schema), await open(schema)];
    const heardByA: PrivacyChange[] = [];
    const heardByB: PrivacyChange[] = [];
    await a.start(async (change) => void heardByA.push(change));
    await b.start(async (change) => void heardByB.push(change));
    for (let i = 0; i < 20; i += 1) await a.publish(erased(`user_id:${i}`));
    await until(() => heardByB.length === 20, 'router B to apply every change');
    expect(heardByB).toEqual(Array.from({ length: 20 }, (_, i) => erased(`user_id:${i}`)));
    expect(heardByA).toEqual([]);

    // A router starting again applies what it has not applied yet: here, from the 16th change on.
    const cursor = memoryCursor();
    cursor.write(15);
    const late = await open(schema, cursor);
    const heardLate: PrivacyChange[] = [];
    await late.start(async (change) => void heardLate.push(change));
    expect(heardLate).toEqual(heardByB.slice(15));
    await b.publish(erased('user_id:from-b'));
    await until(() => heardLate.length === 6 && heardByA.length === 1, 'the others to apply B’s change');
  });

  it('keeps applying changes when its notification connection drops, and listens again', async () => {
    const schema = newSchema();
    const [a, b] = [await open(schema), await open(schema)];
    const heard: PrivacyChange[] = [];
    await b.start(async (change) => void heard.push(change));
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    const listening = async () =>
      (await admin.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1', [`switchyard-privacy-listen:${schema}`])).rows[0]
        .n as number;
    try {
      for (let round = 0; round < 3; round += 1) {
        expect(await listening()).toBe(1);
        await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [`switchyard-privacy-listen:${schema}`]);
        await a.publish(erased(`user_id:dropped-${round}`));
        await until(() => heard.length === round + 1, 'the change to arrive without its notification');
        await until(async () => (await listening()) === 1, 'the router to listen again');
      }
    } finally {
      await admin.end();
    }
  });
});
