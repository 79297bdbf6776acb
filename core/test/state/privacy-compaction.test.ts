import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { silentLogger, type SwitchyardConfig } from '../../src/index.js';
import { PostgresPrivacyFeed } from '../../src/privacy/postgres-privacy-feed.js';
import { until } from '../helpers/deliveries.js';
import { dropSchemas, PG_URL, randomSchema } from '../helpers/identity-stores.js';
import { RouterFixture } from '../helpers/router.js';

const ADMIN = 'admin-token-compaction-0001';
const USERS = ['u-0', 'u-1', 'u-2', 'u-3'];

/**
 * Compaction of `privacy_changes`: superseded changes go once every router has applied them, and a router started
 * on an empty storage dir afterwards holds what the others hold.
 */
describe('compacting the shared privacy changes', () => {
  const schema = randomSchema();
  const routers: RouterFixture[] = [];
  let db: pg.Client;
  let compactor: PostgresPrivacyFeed;

  const config = (): SwitchyardConfig => ({
    admin: { tokens: [ADMIN] },
    dsr: { gracePeriodMs: 0 },
    state: { type: 'postgres', url: PG_URL, schema },
    privacy: { purposes: [{ id: 'marketing', segmentCategories: ['Marketing'] }] },
    sources: [{ id: 'web', type: 'segment', writeKey: 'wk_web' }],
    connections: [],
  });
  const start = async () => {
    const router = await new RouterFixture(config()).start();
    routers.push(router);
    return router;
  };

  beforeAll(async () => {
    db = new pg.Client({ connectionString: PG_URL });
    await db.connect();
  });

  afterAll(async () => {
    for (const router of routers) await router.close();
    await compactor?.close();
    await db?.end();
    await dropSchemas([schema]);
  });

  const admin = (router: RouterFixture, method: string, path: string, body?: unknown) =>
    router.send(path, body, { method, headers: { authorization: `Bearer ${ADMIN}` } });
  let clock = Date.parse('2026-01-01T00:00:00Z');
  /** Consent and attributes changing, each event later than the one before. */
  const changeMind = async (router: RouterFixture, user: string, marketing: boolean, plan: string) => {
    clock += 1_000;
    const response = await router.send(
      '/v1/identify',
      {
        messageId: randomUUID(),
        userId: user,
        timestamp: new Date(clock).toISOString(),
        traits: { plan },
        context: { consent: { categoryPreferences: { Marketing: marketing } } },
      },
      { auth: 'wk_web:' },
    );
    expect(response.status).toBe(200);
  };
  const ids = async () => (await db.query<{ id: string }>(`SELECT id FROM "${schema}".privacy_changes ORDER BY id`)).rows.map((r) => Number(r.id));
  /** `except`: a router row the test wrote itself, which applies nothing. */
  const appliedByAll = async (except = '') => {
    const last = Math.max(0, ...(await ids()));
    await until(() => routers.every((r) => r.router.privacy.sharedStateCursor(schema).read() >= last), 'every router to apply every change');
    // Each router reports what it applied at its next read of the table.
    await until(
      async () =>
        (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${schema}".privacy_routers WHERE applied < $1 AND origin <> $2`, [last, except]))
          .rows[0]!.n === 0,
      'every router to report it',
    );
  };
  const held = async (router: RouterFixture, user: string) => {
    const { profiles } = (await admin(router, 'GET', `/admin/v1/profiles?identity_type=user_id&identity_value=${user}`)).json;
    return profiles.map((p: { consent: unknown; traits: unknown }) => ({ consent: p.consent, traits: p.traits }));
  };

  it('drops superseded changes and a new router still ends with the same consent and attributes', async () => {
    const [a, b] = [await start(), await start()];
    for (let round = 0; round < 5; round += 1) {
      for (const user of USERS) await changeMind(round % 2 ? b : a, user, round % 2 === 0, `plan-${round}`);
    }
    const erasure = {
      regulation: 'gdpr',
      subject_request_id: randomUUID(),
      subject_request_type: 'erasure',
      submitted_time: new Date().toISOString(),
      subject_identities: [{ identity_type: 'user_id', identity_value: 'u-3', identity_format: 'raw' }],
      api_version: '1.0',
    };
    expect((await admin(a, 'POST', '/opendsr/v1/requests', erasure)).status).toBe(201);
    await until(async () => (await admin(b, 'GET', `/opendsr/v1/requests/${erasure.subject_request_id}`)).json.request_status === 'completed', 'the erasure');
    await appliedByAll();

    const before = await ids();
    compactor = await PostgresPrivacyFeed.open({ url: PG_URL, schema, log: silentLogger, cursor: { read: () => 0, write: () => undefined } });
    const dropped = await compactor.compact();
    const after = await ids();
    expect(dropped).toBeGreaterThan(0);
    expect(after).toHaveLength(before.length - dropped);

    const c = await start();
    for (const user of USERS) {
      const onA = await held(a, user);
      expect(await held(c, user)).toEqual(onA);
      expect(await held(b, user)).toEqual(onA);
    }
    expect((await held(a, 'u-0'))[0]).toMatchObject({ consent: { purposes: { marketing: { consented: true } } }, traits: { plan: 'plan-4' } });
  }, 90_000);

  it('keeps every change a router has not applied yet', async () => {
    const last = Math.max(0, ...(await ids()));
    // A router that has applied nothing past `last`, and is alive.
    await db.query(`INSERT INTO "${schema}".privacy_routers (origin, applied, seen_at) VALUES ('behind', $1, $2)`, [last, Date.now()]);
    const [a] = routers;
    for (let round = 0; round < 4; round += 1) for (const user of USERS.slice(0, 2)) await changeMind(a!, user, round % 2 === 1, `later-${round}`);
    await appliedByAll('behind');
    const newer = (await ids()).filter((id) => id > last);
    expect(newer.length).toBeGreaterThan(0);
    await compactor.compact();
    expect((await ids()).filter((id) => id > last)).toEqual(newer);

    // Once it has caught up, the changes it applied may go.
    await db.query(`UPDATE "${schema}".privacy_routers SET applied = $1 WHERE origin = 'behind'`, [Math.max(...newer)]);
    await appliedByAll();
    expect(await compactor.compact()).toBeGreaterThan(0);
    const c = await start();
    for (const user of USERS) expect(await held(c, user)).toEqual(await held(a!, user));
  }, 90_000);
});
