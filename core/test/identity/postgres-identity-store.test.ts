import { emptyChange } from '../../src/identity/identity-store.js';
import { PostgresIdentityStore } from '../../src/identity/postgres-identity-store.js';
import { dropSchemas, PG_URL, randomSchema } from '../helpers/identity-stores.js';

// What only the PostgreSQL store has: schemas shared by several routers, and text that cannot hold U+0000.

const schemas: string[] = [];
const newSchema = () => {
  const schema = randomSchema();
  schemas.push(schema);
  return schema;
};
afterAll(() => dropSchemas(schemas));

const T = 1_700_000_000_000;
const user = { type: 'user_id', value: 'u-1', key: 'user_id:u-1', linkedAt: T };
const createWithUser = (id: string) => ({ ...emptyChange(), create: [{ id, createdAt: T }], link: [{ profileId: id, identifier: user }] });

test.each(['', 'a-b', 'identity.graph', 'x"; DROP SCHEMA public CASCADE; --', 'é', 's'.repeat(64), 'pg_identity'])(
  'refuses %j as a schema name',
  async (schema) => {
    await expect(PostgresIdentityStore.open({ url: PG_URL, schema })).rejects.toMatchObject({
      code: 'IDENTITY_SCHEMA_INVALID',
      message: expect.stringContaining(JSON.stringify(schema)),
    });
  },
);

test('routers opening one new schema at once all get the same graph', async () => {
  const schema = newSchema();
  const stores = await Promise.all([1, 2, 3, 4].map(() => PostgresIdentityStore.open({ url: PG_URL, schema })));
  try {
    await stores[0]!.apply(createWithUser('1'));
    for (const store of stores) expect(await store.profilesByKey([user.key])).toEqual(new Map([[user.key, ['1']]]));
  } finally {
    await Promise.all(stores.map((store) => store.close()));
  }
});

test('opening a schema again keeps its graph, and other schemas are other graphs', async () => {
  const schema = newSchema();
  const first = await PostgresIdentityStore.open({ url: PG_URL, schema });
  await first.apply(createWithUser('1'));
  await first.close();
  await first.close();

  const again = await PostgresIdentityStore.open({ url: PG_URL, schema });
  const other = await PostgresIdentityStore.open({ url: PG_URL, schema: newSchema() });
  try {
    expect((await again.profiles(['1'])).get('1')).toEqual({ id: '1', createdAt: T, identifiers: [user] });
    expect(await other.profiles(['1'])).toEqual(new Map());
    expect(await other.countIdentifiers()).toBe(0);
  } finally {
    await again.close();
    await other.close();
  }
});

test('a change with U+0000 in a text is refused whole, and reads of such values answer nothing', async () => {
  const store = await PostgresIdentityStore.open({ url: PG_URL, schema: newSchema() });
  try {
    const nul = { ...user, value: 'u\u00001', key: 'user_id:u\u00001' };
    const change = {
      ...createWithUser('1'),
      link: [
        { profileId: '1', identifier: user },
        { profileId: '1', identifier: nul },
      ],
    };
    await expect(store.apply(change)).rejects.toMatchObject({
      code: 'IDENTITY_VALUE_UNSTORABLE',
      message: expect.stringContaining('change.link[1].identifier.value'),
    });
    await expect(store.erase([], ['hash\u0000'], T)).rejects.toMatchObject({ code: 'IDENTITY_VALUE_UNSTORABLE' });
    expect(await store.profiles(['1'])).toEqual(new Map());

    // Inside logged identifiers it is JSON-escaped, so it is kept.
    const logged = {
      at: T,
      kind: 'link' as const,
      profileId: '1',
      identifiers: [{ type: nul.type, value: nul.value, key: nul.key }],
      cause: 'admin',
      rule: 'operator',
    };
    await store.apply({ ...emptyChange(), log: [logged] });
    expect(await store.log('1', 1)).toStrictEqual([{ id: expect.any(Number), ...logged }]);

    expect(await store.profilesByKey([nul.key, user.key])).toEqual(new Map());
    expect(await store.profiles(['\u0000'])).toEqual(new Map());
    expect(await store.aliasesOf(['\u0000'])).toEqual(new Map([['\u0000', []]]));
    expect(await store.separations(['\u0000'])).toEqual(new Set());
    expect(await store.tombstoned(['\u0000'])).toEqual(new Set());
    expect(await store.log('\u0000', 10)).toEqual([]);
    await store.erase(['\u0000'], [], T);
  } finally {
    await store.close();
  }
});

test('a log id that is not an integer names no entry', async () => {
  const store = await PostgresIdentityStore.open({ url: PG_URL, schema: newSchema() });
  try {
    expect(await store.logEntry(1.5)).toBeUndefined();
    expect(await store.logEntry(Number.NaN)).toBeUndefined();
  } finally {
    await store.close();
  }
});
