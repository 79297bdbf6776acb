import { until } from '../helpers/deliveries.js';
import { AudienceRouter } from '../helpers/audiences.js';
import { HttpSink, type CapturedRequest } from '../helpers/http-sink.js';

const PRO = { key: 'pro', name: 'Pro plan', rule: { field: 'traits.plan', equals: 'pro' } };

interface Change {
  action: 'add' | 'remove';
  profileId?: string;
  identifiers: Record<string, string>;
}

/** The membership changes the webhook stub received, one entry per member (the webhook's documented body). */
function changesOf(requests: readonly CapturedRequest[]): Change[] {
  return requests.flatMap((request) => {
    const body = request.body as { type?: string; action?: 'add' | 'remove'; members?: Change[] };
    if (body?.type !== 'audience') return [];
    return (body.members ?? []).map((m) => ({ action: body.action!, ...(m.profileId ? { profileId: m.profileId } : {}), identifiers: m.identifiers }));
  });
}

interface Run {
  id: string;
  kind: string;
  status: string;
  total: number | null;
  processed: number;
  added: number;
  removed: number;
  unmatched: number;
  failed: number;
  errors: Array<{ at: string; code: string; message: string }>;
}

/** The backfill, reconciliation and run history of syncs, through config reloads, ingestion and the admin API. */
describe('audience sync lifecycle', () => {
  let yard: AudienceRouter | undefined;
  let sink: HttpSink;
  beforeEach(async () => {
    sink = await new HttpSink().start();
  });
  afterEach(async () => {
    await yard?.close();
    yard = undefined;
    await sink.stop();
  });

  const connections = () => [{ id: 'lists', connector: 'webhook', settings: { url: `${sink.url}/lists` } }];
  const withSync = (syncs: unknown[] = [{ connection: 'lists' }]) => ({ connections: connections(), audiences: [{ ...PRO, syncs }] }) as never;

  async function syncStatus(audience = 'pro', connection = 'lists') {
    const response = await yard!.admin('GET', `/admin/v1/audience-syncs/${audience}/${connection}`);
    expect(response.status).toBe(200);
    return response.json as {
      sync: { state: string; members: number; current: Run | null; lastRun: Run | null; mode: string; every: string | null };
      runs: Run[];
    };
  }

  async function finishedRun(kind: string, count = 1): Promise<Run> {
    let runs: Run[] = [];
    await until(
      async () => (runs = (await syncStatus()).runs.filter((r) => r.kind === kind && r.status !== 'running')).length >= count,
      `${count} finished ${kind} run(s)`,
    );
    return runs[0]!;
  }

  async function members(...userIds: string[]): Promise<string[]> {
    for (const userId of userIds) await yard!.segment('identify', { userId, traits: { plan: 'pro', email: `${userId}@example.com` } });
    const ids = await Promise.all(userIds.map((u) => yard!.profileOf('user_id', u)));
    await yard!.membersBecome('pro', ids);
    return ids;
  }

  it('a sync added by a reload first adds the members the audience already has, with its progress and counts in a backfill run', async () => {
    yard = await AudienceRouter.start({ connections: connections(), audiences: [PRO] } as never);
    const ids = await members('u-ada', 'u-bob', 'u-cy');
    expect(changesOf(sink.requests)).toEqual([]);
    expect((await yard.reload(withSync())).ok).toBe(true);
    await until(() => changesOf(sink.requests).length >= 3, 'three adds at the stub');
    expect(
      changesOf(sink.requests)
        .map((c) => [c.action, c.profileId])
        .sort(),
    ).toEqual(ids.map((id) => ['add', id]).sort());
    const run = await finishedRun('backfill');
    expect(run).toEqual(expect.objectContaining({ status: 'succeeded', total: 3, processed: 3, added: 3, removed: 0, unmatched: 0, failed: 0, errors: [] }));
    const { sync } = await syncStatus();
    expect(sync).toEqual(expect.objectContaining({ state: 'live', members: 3, current: null, mode: 'add-remove', every: null }));
    expect(sync.lastRun?.id).toBe(run.id);
    const listed = await yard.admin('GET', '/admin/v1/audience-syncs');
    expect(listed.json.syncs).toEqual([expect.objectContaining({ audience: 'pro', connection: 'lists', state: 'live' })]);
    expect((await yard.admin('GET', `/admin/v1/audience-syncs/pro/lists/runs/${run.id}`)).json.run).toEqual(run);

    // Live changes after it are counted in a changes run; a second backfill sends nothing for people already added.
    await yard.segment('identify', { userId: 'u-ada', traits: { plan: 'free' } });
    await until(() => changesOf(sink.requests).length >= 4, 'the removal at the stub');
    await until(async () => (await syncStatus()).runs.some((r) => r.kind === 'changes' && r.removed === 1), 'the removal counted in a changes run');
    const again = await yard.admin('POST', '/admin/v1/audience-syncs/pro/lists/backfill', {});
    expect(again.status).toBe(202);
    expect(again.json.run).toEqual(expect.objectContaining({ kind: 'backfill', status: 'running' }));
    const second = await finishedRun('backfill', 2);
    expect(second).toEqual(expect.objectContaining({ id: again.json.run.id, status: 'succeeded', total: 2, processed: 2, added: 0 }));
    expect(changesOf(sink.requests)).toHaveLength(4);
  });

  it('answers 409 while a backfill runs or when the sync is not a mirror, and 404 JSON for unknown syncs and runs', async () => {
    const held: Array<() => void> = [];
    sink.responder = (request) =>
      (request.body as { type?: string })?.type === 'audience'
        ? new Promise((resolve) => held.push(() => resolve({ status: 200, body: { ok: true } })))
        : { status: 200, body: { ok: true } };
    yard = await AudienceRouter.start({ connections: connections(), audiences: [PRO] } as never);
    await members('u-ada');
    expect((await yard.reload(withSync())).ok).toBe(true);
    await until(() => held.length >= 1, 'the backfill add held at the stub');
    const { sync } = await syncStatus();
    expect(sync.state).toBe('backfilling');
    expect(sync.current).toEqual(expect.objectContaining({ kind: 'backfill', status: 'running', total: 1, processed: 1 }));
    const busy = await yard.admin('POST', '/admin/v1/audience-syncs/pro/lists/backfill', {});
    expect(busy.status).toBe(409);
    expect(busy.json.error).toEqual(expect.objectContaining({ code: 'SYNC_BUSY', message: expect.stringContaining('backfill') }));
    const notMirror = await yard.admin('POST', '/admin/v1/audience-syncs/pro/lists/reconcile', {});
    expect(notMirror.status).toBe(409);
    expect(notMirror.json.error.code).toBe('SYNC_NOT_MIRROR');
    for (const h of held.splice(0)) h();
    await finishedRun('backfill');
    expect((await syncStatus()).sync.state).toBe('live');

    const unknown = await yard.admin('GET', '/admin/v1/audience-syncs/pro/nowhere');
    expect(unknown.status).toBe(404);
    expect(unknown.json.error).toEqual(expect.objectContaining({ code: 'SYNC_NOT_FOUND', message: expect.stringContaining('nowhere') }));
    expect((await yard.admin('POST', '/admin/v1/audience-syncs/nope/lists/backfill', {})).status).toBe(404);
    const noRun = await yard.admin('GET', '/admin/v1/audience-syncs/pro/lists/runs/not-a-run');
    expect(noRun.status).toBe(404);
    expect(noRun.json.error.code).toBe('RUN_NOT_FOUND');
  });
});
