import { randomUUID } from 'node:crypto';
import { until } from '../helpers/deliveries.js';
import { AudienceRouter } from '../helpers/audiences.js';
import { HttpSink, type CapturedRequest } from '../helpers/http-sink.js';

const PRO = { key: 'pro', name: 'Pro plan', rule: { field: 'traits.plan', equals: 'pro' } };

interface Change {
  action: 'add' | 'remove';
  audience?: string;
  profileId?: string;
  identifiers: Record<string, string>;
}

/** The membership changes the webhook stub received, one entry per member (the webhook's documented body). */
function changesOf(requests: readonly CapturedRequest[]): Change[] {
  return requests.flatMap((request) => {
    const body = request.body as { type?: string; action?: 'add' | 'remove'; audience?: { key: string }; members?: Change[] };
    if (body?.type !== 'audience') return [];
    return (body.members ?? []).map((m) => ({
      action: body.action!,
      audience: body.audience?.key,
      ...(m.profileId ? { profileId: m.profileId } : {}),
      identifiers: m.identifiers,
    }));
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

  async function finishedRun(kind: string, count = 1, connection = 'lists'): Promise<Run> {
    let runs: Run[] = [];
    await until(
      async () => (runs = (await syncStatus('pro', connection)).runs.filter((r) => r.kind === kind && r.status !== 'running')).length >= count,
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

    // A restart keeps the history and does not backfill a sync that was backfilled.
    await yard.restart();
    await yard.segment('identify', { userId: 'u-dee', traits: { plan: 'pro' } });
    await until(() => changesOf(sink.requests).length >= 5, 'the live add after the restart');
    const { runs } = await syncStatus();
    expect(runs.filter((r) => r.kind === 'backfill').map((r) => r.id)).toEqual([second.id, run.id]);
    expect(changesOf(sink.requests)).toHaveLength(5);
  });

  it('a sync whose settings name another destination list is backfilled into it', async () => {
    yard = await AudienceRouter.start({ connections: connections(), audiences: [PRO] } as never);
    const ids = await members('u-ada', 'u-bob');
    expect((await yard.reload(withSync([{ connection: 'lists', settings: { list: 'first' } }]))).ok).toBe(true);
    await finishedRun('backfill');
    expect((await yard.reload(withSync([{ connection: 'lists', settings: { list: 'second' } }]))).ok).toBe(true);
    await finishedRun('backfill', 2);
    const addsTo = (list: string) =>
      sink.requests
        .map((r) => r.body as { type?: string; action?: string; sync?: { list?: string }; members?: Array<{ profileId: string }> })
        .filter((b) => b?.type === 'audience' && b.action === 'add' && b.sync?.list === list)
        .flatMap((b) => (b.members ?? []).map((m) => m.profileId))
        .sort();
    expect(addsTo('first')).toEqual([...ids].sort());
    expect(addsTo('second')).toEqual([...ids].sort());
    // A reload that changes nothing about the sync does not backfill again.
    expect((await yard.reload(withSync([{ connection: 'lists', settings: { list: 'second' } }]))).ok).toBe(true);
    expect((await syncStatus()).runs.filter((r) => r.kind === 'backfill')).toHaveLength(2);
  });

  // The backfill's pages and live changes share one order of work; which comes first depends on the machine's load,
  // so the test repeats with changes sent while the reload starts the backfill.
  it('live changes during a backfill are neither lost nor sent twice', async () => {
    // One task at a time, so the stub receives changes in the order they were queued: concurrent tasks of a connection
    // may arrive in any order, which this test is not about.
    const connections = () => [{ id: 'lists', connector: 'webhook', settings: { url: `${sink.url}/lists` }, delivery: { maxConcurrency: 1 } }];
    yard = await AudienceRouter.start({ connections: connections(), audiences: [] } as never);
    const audiences: Array<Record<string, unknown>> = [];
    for (let round = 0; round < 4; round++) {
      const key = `round-${round}`;
      const plan = (userId: string, value: string) => yard!.segment('identify', { userId, traits: { plan: value } });
      audiences.push({ key, rule: { field: 'traits.plan', equals: key } });
      expect((await yard.reload({ connections: connections(), audiences } as never)).ok).toBe(true);
      const users = [1, 2, 3, 4].map((n) => `u-${round}-${n}`);
      for (const userId of users) await plan(userId, key);
      const ids = await Promise.all(users.map((u) => yard!.profileOf('user_id', u)));
      await yard.membersBecome(key, ids);
      audiences[round] = { ...audiences[round], syncs: [{ connection: 'lists' }] };
      const reloaded = yard.reload({ connections: connections(), audiences } as never);
      // While the backfill starts: one member leaves, one person joins, one leaves and comes back.
      await Promise.all([plan(users[0]!, 'free'), plan(`u-${round}-5`, key), plan(users[1]!, 'free').then(() => plan(users[1]!, key))]);
      expect((await reloaded).ok).toBe(true);
      const joined = await yard.profileOf('user_id', `u-${round}-5`);
      const expected = [ids[1]!, ids[2]!, ids[3]!, joined].sort();
      await yard.membersBecome(key, expected);
      await until(async () => (await syncStatus(key)).runs.some((r) => r.kind === 'backfill' && r.status === 'succeeded'), `round ${round}'s backfill`);
      // The destination's state, replayed from what it received, is the audience; nobody was added while added.
      await until(() => {
        const held = new Set<string>();
        for (const change of changesOf(sink.requests).filter((c) => c.audience === key)) {
          if (change.action === 'add') held.add(change.profileId!);
          else held.delete(change.profileId!);
        }
        return JSON.stringify([...held].sort()) === JSON.stringify(expected);
      }, `round ${round}: the destination to hold exactly the members`).catch((error: Error) => {
        const seen = changesOf(sink.requests)
          .filter((c) => c.audience === key)
          .map((c) => `${c.action} ${ids.indexOf(c.profileId!) === -1 ? 'joined' : ids.indexOf(c.profileId!)}`);
        throw new Error(`${error.message}: received ${seen.join(', ')}`);
      });
      const byPerson = new Map<string, string[]>();
      for (const change of changesOf(sink.requests).filter((c) => c.audience === key)) {
        byPerson.set(change.profileId!, [...(byPerson.get(change.profileId!) ?? []), change.action]);
      }
      // Whoever stayed or joined was added once; whoever left was added at most once and removed after it. Within one
      // delivery task a person's earlier change is superseded by the later one (SUPERSEDED, not sent), so an add and
      // its removal may arrive as the removal alone, and an add, removal and add as two adds.
      for (const stayed of [ids[2]!, ids[3]!, joined]) expect([stayed, byPerson.get(stayed)]).toEqual([stayed, ['add']]);
      const adds = (id: string) => (byPerson.get(id) ?? []).filter((action) => action === 'add').length;
      expect([adds(ids[0]!) <= 1, adds(ids[1]!) <= 2]).toEqual([true, true]);
    }
  }, 120_000);

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
    // Without a body, as `curl -X POST` sends it.
    const busy = await yard.admin('POST', '/admin/v1/audience-syncs/pro/lists/backfill');
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

  it('counts a member with no identifier the destination accepts as unmatched, and sends only the matched one', async () => {
    const meta = [
      {
        id: 'meta',
        connector: 'facebook-audiences',
        settings: { audienceId: '1111', accessToken: 'EAAB-test-token-123' },
        endpointOverrides: { 'graph.facebook.com': `${sink.url}/graph` },
      },
    ];
    yard = await AudienceRouter.start({ connections: meta, audiences: [PRO] } as never);
    // Meta matches on email, phone, advertising ids and the user id: an anonymous id alone matches nothing.
    await yard.segment('identify', { anonymousId: 'anon-1', traits: { plan: 'pro' } });
    await yard.segment('identify', { userId: 'u-ada', traits: { plan: 'pro' } });
    const ids = await Promise.all([yard.profileOf('anonymous_id', 'anon-1'), yard.profileOf('user_id', 'u-ada')]);
    await yard.membersBecome('pro', ids);
    expect(
      (await yard.reload({ connections: meta, audiences: [{ ...PRO, syncs: [{ connection: 'meta', settings: { audienceId: '4242' } }] }] } as never)).ok,
    ).toBe(true);
    const run = await finishedRun('backfill', 1, 'meta');
    expect(run).toEqual(expect.objectContaining({ status: 'succeeded', total: 2, processed: 2, added: 1, unmatched: 1, failed: 0 }));
    const calls = sink.requests.filter((r) => r.path.includes('/4242/users'));
    expect(calls).toHaveLength(1);
    expect((calls[0]!.body as { payload: { data: unknown[] } }).payload.data).toHaveLength(1);
  });

  it('counts a change the destination refuses as failed, with an error sample an erasure of the person then purges', async () => {
    // The webhook's documented per-item errors: the receiver names what it refused.
    sink.responder = (request) => {
      const body = request.body as { type?: string; members?: Array<{ identifiers: Record<string, string> }> };
      if (body?.type !== 'audience') return { status: 200, body: { ok: true } };
      const errors = (body.members ?? []).flatMap((m, index) =>
        m.identifiers.user_id === 'u-bad' ? [{ index, status: 400, message: `member ${m.identifiers.user_id} is not on this list` }] : [],
      );
      return { status: 200, body: { errors } };
    };
    yard = await AudienceRouter.start({ connections: connections(), audiences: [PRO], dsr: { gracePeriodMs: 0 } } as never);
    await members('u-ok', 'u-bad');
    expect((await yard.reload(withSync())).ok).toBe(true);
    const run = await finishedRun('backfill');
    expect(run).toEqual(expect.objectContaining({ status: 'succeeded', total: 2, processed: 2, added: 1, failed: 1 }));
    expect(run.errors).toEqual([{ at: expect.any(String), code: expect.any(String), message: expect.stringContaining('u-bad is not on this list') }]);
    const request = {
      regulation: 'gdpr',
      subject_request_id: randomUUID(),
      subject_request_type: 'erasure',
      submitted_time: new Date().toISOString(),
      subject_identities: [{ identity_type: 'controller_customer_id', identity_value: 'u-bad', identity_format: 'raw' }],
      api_version: '1.0',
    };
    expect((await yard.admin('POST', '/opendsr/v1/requests', request)).status).toBe(201);
    await until(
      async () => (await yard!.admin('GET', `/admin/v1/audience-syncs/pro/lists/runs/${run.id}`)).json.run.errors.length === 0,
      'the error sample purged',
    );
    const after = (await yard.admin('GET', `/admin/v1/audience-syncs/pro/lists/runs/${run.id}`)).json.run as Run;
    expect(after).toEqual(expect.objectContaining({ failed: 1, errors: [] }));
    expect(JSON.stringify((await syncStatus()).runs)).not.toContain('u-bad');
  });

  it('a mirror sync reconciles a Mailchimp segment: removes the member it should not hold and adds the one it lacks', async () => {
    const API_KEY = '0123456789abcdef0123456789abcdef-us21';
    const held = ['u-ada@example.com', 'stranger@example.com'];
    const listed: string[] = [];
    sink.responder = (request) => {
      const url = new URL(request.path, sink.url);
      if (request.method === 'GET' && url.pathname === '/3.0/lists/list123/segments/9001/members') {
        listed.push(request.path);
        const count = Number(url.searchParams.get('count'));
        const offset = Number(url.searchParams.get('offset'));
        // Mailchimp's documented body: members with email_address, and total_items.
        return { status: 200, body: { members: held.slice(offset, offset + count).map((email_address) => ({ email_address })), total_items: held.length } };
      }
      return { status: 200, body: { members_added: [], members_removed: [], errors: [], total_added: 0, total_removed: 0, error_count: 0 } };
    };
    const mailchimp = [
      { id: 'mc', connector: 'mailchimp', settings: { apiKey: API_KEY, listId: 'list123' }, endpointOverrides: { 'us21.api.mailchimp.com': sink.url } },
    ];
    yard = await AudienceRouter.start({
      connections: mailchimp,
      audiences: [{ ...PRO, syncs: [{ connection: 'mc', mode: 'mirror', every: '1h', settings: { segmentId: '9001' } }] }],
    } as never);
    await finishedRun('backfill', 1, 'mc');
    await members('u-ada', 'u-bob');
    const segmentPosts = () => sink.requests.filter((r) => r.method === 'POST' && r.path === '/3.0/lists/list123/segments/9001');
    await until(() => segmentPosts().length >= 1, 'the live adds at the stub');
    const { sync } = await syncStatus('pro', 'mc');
    expect(sync).toEqual(expect.objectContaining({ mode: 'mirror', every: '1h' }));
    const before = sink.requests.length;
    const started = await yard.admin('POST', '/admin/v1/audience-syncs/pro/mc/reconcile', {});
    expect(started.status).toBe(202);
    expect(started.json.run).toEqual(expect.objectContaining({ kind: 'reconcile', status: 'running' }));
    const run = await finishedRun('reconcile', 1, 'mc');
    expect(run).toEqual(expect.objectContaining({ status: 'succeeded', total: 4, processed: 4, added: 1, removed: 1, failed: 0 }));
    expect(listed[0]).toContain('count=1000&offset=0');
    const bodies = sink.requests
      .slice(before)
      .filter((r) => r.method === 'POST')
      .map((r) => r.body);
    expect(bodies).toEqual(expect.arrayContaining([{ members_to_add: ['u-bob@example.com'] }, { members_to_remove: ['stranger@example.com'] }]));
    expect(JSON.stringify(bodies)).not.toContain('u-ada@example.com');
    const { sync: after } = await syncStatus('pro', 'mc');
    expect(after).toEqual(expect.objectContaining({ state: 'live', lastRun: expect.objectContaining({ id: run.id }) }));
  });

  it('a mirror sync is reconciled again once its period has passed since the last one', async () => {
    sink.responder = (request) =>
      request.method === 'GET'
        ? { status: 200, body: { members: [{ email_address: 'stranger@example.com' }], total_items: 1 } }
        : { status: 200, body: { members_added: [], members_removed: [], errors: [], total_added: 0, total_removed: 0, error_count: 0 } };
    const mailchimp = [
      {
        id: 'mc',
        connector: 'mailchimp',
        settings: { apiKey: '0123456789abcdef0123456789abcdef-us21', listId: 'list123' },
        endpointOverrides: { 'us21.api.mailchimp.com': sink.url },
      },
    ];
    yard = await AudienceRouter.start(
      { connections: mailchimp, audiences: [{ ...PRO, syncs: [{ connection: 'mc', mode: 'mirror', every: '1h', settings: { segmentId: '9001' } }] }] } as never,
      { syncCheckMs: 50 },
    );
    await finishedRun('backfill', 1, 'mc');
    expect((await syncStatus('pro', 'mc')).runs.filter((r) => r.kind === 'reconcile')).toEqual([]);
    yard.now += 3_600_000;
    const first = await finishedRun('reconcile', 1, 'mc');
    expect(first).toEqual(expect.objectContaining({ status: 'succeeded', removed: 1 }));
    yard.now += 3_600_000;
    await finishedRun('reconcile', 2, 'mc');
    const reconciles = (await syncStatus('pro', 'mc')).runs.filter((r) => r.kind === 'reconcile');
    expect(reconciles.map((r) => r.startedAt)).toEqual([new Date(yard.now).toISOString(), new Date(yard.now - 3_600_000).toISOString()]);
  });

  it('refuses mirror without a valid every, and for a connector that cannot list members, naming the path', async () => {
    await expect(AudienceRouter.start(withSync([{ connection: 'lists', mode: 'mirror', every: '1h' }]))).rejects.toThrow(
      /audiences\[0\]\.syncs\[0\]\.mode: connector "webhook" cannot list/,
    );
    const mailchimp = [{ id: 'mc', connector: 'mailchimp', settings: { apiKey: '0123456789abcdef0123456789abcdef-us21', listId: 'list123' } }];
    const config = (sync: Record<string, unknown>) =>
      ({ connections: mailchimp, audiences: [{ ...PRO, syncs: [{ connection: 'mc', settings: { tag: 'pro' }, ...sync }] }] }) as never;
    await expect(AudienceRouter.start(config({ mode: 'mirror', every: 'hourly' }))).rejects.toThrow(
      /audiences\[0\]\.syncs\[0\]\.every: "hourly" is not a period/,
    );
    await expect(AudienceRouter.start(config({ mode: 'mirror' }))).rejects.toThrow(/audiences\[0\]\.syncs\[0\]\.every: a mirror sync needs a period/);
    await expect(AudienceRouter.start(config({ every: '1h' }))).rejects.toThrow(/audiences\[0\]\.syncs\[0\]\.every: only a sync with mode "mirror"/);
  });
});
