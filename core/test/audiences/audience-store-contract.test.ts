import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EVER_DAY, type AudienceStore } from '../../src/audiences/audience-store.js';
import { PostgresAudienceStore } from '../../src/audiences/postgres-audience-store.js';
import { SqliteAudienceStore } from '../../src/audiences/sqlite-audience-store.js';
import { dropSchemas, PG_URL, randomSchema } from '../helpers/identity-stores.js';

interface Backend {
  name: string;
  open(): Promise<AudienceStore>;
  cleanup(): Promise<void>;
}

function backends(): Backend[] {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-audience-store-'));
  const schemas: string[] = [];
  let files = 0;
  return [
    {
      name: 'sqlite',
      open: async () => new SqliteAudienceStore(join(dir, `audiences-${++files}.db`)),
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
    },
    {
      name: 'postgres',
      open: () => {
        const schema = randomSchema();
        schemas.push(schema);
        return PostgresAudienceStore.open({ url: PG_URL, schema });
      },
      cleanup: () => dropSchemas(schemas),
    },
  ];
}

/** What every audience store does, whichever backend keeps it. */
describe.each(backends())('audience store contract ($name)', (backend) => {
  let store: AudienceStore;
  beforeEach(async () => {
    store = await backend.open();
  });
  afterEach(() => store.close());
  afterAll(() => backend.cleanup());

  const condition = (signature: string, keepDays = 30, keepTotal = false) => ({ signature, keepDays, keepTotal });
  const delta = (profileId: string, conditionId: number, day: number, count: number, sum: number, min?: number, max?: number) => ({
    profileId,
    conditionId,
    day,
    count,
    sum,
    ...(min !== undefined ? { min } : {}),
    ...(max !== undefined ? { max } : {}),
  });
  const run = (writes: Partial<Parameters<AudienceStore['commit']>[0]>) => store.commit({ deltas: [], entered: [], exited: [], known: [], ...writes });

  it('keeps condition ids, starts totals from the day buckets, and drops the buckets of conditions no longer used', async () => {
    const ids = await store.useConditions([condition('a'), condition('b')]);
    const [a, b] = [ids.get('a')!, ids.get('b')!];
    expect(await store.useConditions([condition('a'), condition('b')])).toEqual(ids);
    await run({ deltas: [delta('p1', a, 10, 2, 5, 1, 4), delta('p1', a, 11, 1, 3), delta('p1', b, 10, 1, 1)], known: ['p1'] });
    await store.useConditions([condition('a', 30, true)]);
    const state = (await store.load(['p1'], [a, b], 0)).get('p1')!;
    expect(state.buckets.get(a)!.get(EVER_DAY)).toEqual({ count: 3, sum: 8, min: 1, max: 4 });
    expect(state.buckets.get(b)).toBeUndefined();
    expect(state.known).toBe(true);
  });

  it('adds deltas to buckets (several for one bucket in a run too), keeping min and max where one side has none', async () => {
    const c = (await store.useConditions([condition('c')])).get('c')!;
    await run({ deltas: [delta('p1', c, 5, 1, 2), delta('p1', c, 5, 1, 7, 7, 7)] });
    await run({ deltas: [delta('p1', c, 5, 2, -1, -1, 0), delta('p1', c, 2, 1, 1)] });
    const days = (await store.load(['p1', 'p2'], [c], 3)).get('p1')!.buckets.get(c)!;
    expect(days.get(5)).toEqual({ count: 4, sum: 8, min: -1, max: 7 });
    expect(days.has(2)).toBe(false);
    expect(await store.profilesWithBuckets(c, 0, 10, undefined, 10)).toEqual(['p1']);
    expect(await store.pruneBuckets(c, 3)).toBe(1);
    expect(await store.profilesWithBuckets(c, 0, 2, undefined, 10)).toEqual([]);
  });

  it('enters, exits and enters again, with history newest first, counts and pages of members in byte order', async () => {
    const ids = ['-5', '12', '3', 'a', 'B'];
    await run({ entered: ids.map((profileId, i) => ({ audience: 'vip', profileId, at: 100 + i })), known: ids });
    await run({ entered: [{ audience: 'vip', profileId: '3', at: 150 }] });
    await run({ exited: [{ audience: 'vip', profileId: '3', at: 200, reason: 'no_longer_matches' }] });
    await run({ entered: [{ audience: 'vip', profileId: '3', at: 300 }] });
    const sorted = [...ids].sort((x, y) => (Buffer.from(x) < Buffer.from(y) ? -1 : 1));
    const firstPage = await store.members('vip', undefined, 2);
    expect(firstPage.map((m) => m.profileId)).toEqual(sorted.slice(0, 2));
    expect((await store.members('vip', firstPage[1]!.profileId, 10)).map((m) => m.profileId)).toEqual(sorted.slice(2));
    expect(await store.membershipsOf('3')).toEqual([
      { audience: 'vip', profileId: '3', enteredAt: 300 },
      { audience: 'vip', profileId: '3', enteredAt: 102, exitedAt: 200, exitReason: 'no_longer_matches' },
    ]);
    expect(await store.memberCounts()).toEqual(new Map([['vip', 5]]));
    expect(await store.knownProfiles('12', 2)).toEqual(sorted.slice(sorted.indexOf('12') + 1, sorted.indexOf('12') + 3));
    expect(await store.knownProfileCount()).toBe(5);
    expect((await store.load(['3'], [], 0)).get('3')!.memberships).toEqual(new Set(['vip']));
  });

  it('merges, copies and erases profiles', async () => {
    const c = (await store.useConditions([condition('c')])).get('c')!;
    await run({
      deltas: [delta('from', c, 1, 1, 1, 1, 1), delta('into', c, 1, 2, 4, 0, 3)],
      entered: [{ audience: 'x', profileId: 'from', at: 1 }],
      known: ['from', 'into'],
    });
    await store.mergeProfiles('from', 'into');
    expect((await store.load(['into'], [c], 0)).get('into')!.buckets.get(c)!.get(1)).toEqual({ count: 3, sum: 5, min: 0, max: 3 });
    expect((await store.load(['from'], [c], 0)).get('from')!.buckets.size).toBe(0);
    await store.copyProfile('into', 'split');
    expect((await store.load(['split'], [c], 0)).get('split')).toMatchObject({ known: true });
    await store.eraseProfiles(['from', 'into', 'split']);
    expect(await store.membershipsOf('from')).toEqual([]);
    expect(await store.knownProfileCount()).toBe(0);
    expect(await store.profilesWithBuckets(c, 0, 10, undefined, 10)).toEqual([]);
  });

  it('keeps definitions (their creation time across saves), evaluations and meta values', async () => {
    expect(await store.saveDefinition({ key: 'b', name: 'B', rule: { all: [] } }, 10)).toEqual({
      key: 'b',
      name: 'B',
      rule: { all: [] },
      createdAt: 10,
      updatedAt: 10,
    });
    await store.saveDefinition({ key: 'a', rule: { any: [] } }, 11);
    expect(await store.saveDefinition({ key: 'b', description: 'again', rule: { all: [1] } }, 20)).toMatchObject({ createdAt: 10, updatedAt: 20 });
    expect((await store.definitions()).map((d) => [d.key, d.createdAt, d.updatedAt])).toEqual([
      ['a', 11, 11],
      ['b', 10, 20],
    ]);
    expect(await store.deleteDefinition('a')).toBe(true);
    expect(await store.deleteDefinition('a')).toBe(false);
    const evaluation = { ruleHash: 'h', status: 'running', evaluated: 3 } as unknown as Parameters<AudienceStore['saveEvaluation']>[1];
    await store.saveEvaluation('b', evaluation);
    expect(await store.evaluation('b')).toEqual(evaluation);
    await store.deleteEvaluation('b');
    expect(await store.evaluation('b')).toBeUndefined();
    expect(await store.meta('day')).toBeUndefined();
    await store.setMeta('day', '1');
    await store.setMeta('day', '2');
    expect(await store.meta('day')).toBe('2');
  });
});
