import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ConfigError, loadConfig } from '../../src/index.js';
import { until } from '../helpers/deliveries.js';
import { AudienceRouter, DAY_MS } from '../helpers/audiences.js';

const PRO = { field: 'traits.plan', equals: 'pro' };

/** Audiences are created, changed and deleted through the admin API and the config file, without a restart. */
describe('audience definitions', () => {
  let yard: AudienceRouter | undefined;
  afterEach(async () => {
    await yard?.close();
    yard = undefined;
  });

  it('creates, changes and deletes an audience through the API; known profiles are evaluated in the background', async () => {
    yard = await AudienceRouter.start();
    await yard.segment('identify', { userId: 'u-ada', traits: { plan: 'pro', seats: 12 } });
    await yard.segment('identify', { userId: 'u-bob', traits: { plan: 'free', seats: 3 } });
    const [ada, bob] = [await yard.profileOf('user_id', 'u-ada'), await yard.profileOf('user_id', 'u-bob')];
    await yard.idle();

    const created = await yard.admin('PUT', '/admin/v1/audiences/pro', { name: 'Pro plan', rule: PRO });
    expect(created.status).toBe(201);
    expect(created.json.audience).toMatchObject({ key: 'pro', name: 'Pro plan', origin: 'api', rule: PRO });
    // People seen before the audience existed are evaluated without sending anything again.
    await yard.membersBecome('pro', [ada]);
    await until(async () => (await yard!.admin('GET', '/admin/v1/audiences/pro')).json.audience.evaluation?.state === 'done', 'the re-evaluation');
    expect((await yard.admin('GET', '/admin/v1/audiences/pro')).json.audience).toMatchObject({
      members: 1,
      evaluation: { state: 'done', evaluated: 2, total: 2, started_at: expect.any(String), finished_at: expect.any(String) },
    });

    const changed = await yard.admin('PUT', '/admin/v1/audiences/pro', { name: 'Big teams', rule: { field: 'traits.seats', gte: 10 } });
    expect(changed.status).toBe(200);
    await yard.segment('identify', { userId: 'u-bob', traits: { seats: 30 } });
    await yard.membersBecome('pro', [ada, bob]);
    await yard.admin('PUT', '/admin/v1/audiences/pro', { name: 'Bigger teams', rule: { field: 'traits.seats', gte: 20 } });
    await yard.membersBecome('pro', [bob]);
    expect((await yard.admin('GET', `/admin/v1/profiles/${ada}/audiences`)).json.history[0]).toMatchObject({ audience: 'pro', exit_reason: 'rule_changed' });

    const listed = await yard.admin('GET', '/admin/v1/audiences');
    expect(listed.json.audiences).toEqual([expect.objectContaining({ key: 'pro', name: 'Bigger teams', members: 1 })]);

    expect((await yard.admin('DELETE', '/admin/v1/audiences/pro')).status).toBe(204);
    expect((await yard.admin('GET', '/admin/v1/audiences/pro')).status).toBe(404);
    expect((await yard.admin('DELETE', '/admin/v1/audiences/pro')).status).toBe(404);
    await yard.idle();
    expect((await yard.admin('GET', `/admin/v1/profiles/${bob}/audiences`)).json.history[0]).toMatchObject({
      audience: 'pro',
      exit_reason: 'audience_deleted',
    });
    expect(yard.calls.at(-1)).toEqual({ kind: 'exited', audience: 'pro', profileId: bob, reason: 'audience_deleted' });
  });

  it('keeps API audiences and memberships across a restart, and catches up the days it was stopped', async () => {
    yard = await AudienceRouter.start({
      audiences: [{ key: 'recent-buyers', rule: { event: 'Order Completed', gte: 1, within_days: 30 } }],
    });
    expect((await yard.admin('PUT', '/admin/v1/audiences/pro', { rule: PRO })).status).toBe(201);
    await yard.segment('identify', { userId: 'u-ada', traits: { plan: 'pro' } });
    await yard.segment('track', { userId: 'u-ada', event: 'Order Completed' });
    const ada = await yard.profileOf('user_id', 'u-ada');
    await yard.membersBecome('pro', [ada]);
    await yard.membersBecome('recent-buyers', [ada]);

    yard.now += 40 * DAY_MS;
    await yard.restart();
    await yard.idle();
    expect(await yard.members('recent-buyers')).toEqual([]);
    expect(await yard.members('pro')).toEqual([ada]);
    expect((await yard.admin('GET', '/admin/v1/audiences/pro')).json.audience).toMatchObject({ origin: 'api', members: 1, evaluation: { state: 'done' } });
  });

  it('pages through members with limit and after', async () => {
    yard = await AudienceRouter.start({ audiences: [{ key: 'pro', rule: PRO }] });
    for (const user of ['u-1', 'u-2', 'u-3']) await yard.segment('identify', { userId: user, traits: { plan: 'pro' } });
    await until(async () => (await yard!.members('pro')).length === 3, 'three members');
    const first = await yard.admin('GET', '/admin/v1/audiences/pro/members?limit=2');
    expect(first.json.members).toHaveLength(2);
    const second = await yard.admin('GET', `/admin/v1/audiences/pro/members?limit=2&after=${first.json.next_after}`);
    expect(second.json.members).toHaveLength(1);
    expect(second.json.next_after).toBeUndefined();
    expect(new Set([...first.json.members, ...second.json.members].map((m: { profile_id: string }) => m.profile_id)).size).toBe(3);
    expect((await yard.admin('GET', '/admin/v1/audiences/nope/members')).status).toBe(404);
  });

  it('refuses an invalid rule with 400 and the JSON path of every mistake', async () => {
    yard = await AudienceRouter.start({ audiences: [{ key: 'buyers', rule: { event: 'Order Completed', gte: 1 } }] });
    const bad = await yard.admin('PUT', '/admin/v1/audiences/bad', {
      rule: {
        all: [
          { field: 'traits.plan', equals: 'pro' },
          { event: 'Order Completed', where: { field: 'properties.total', gt: 'fifty' }, gte: 'two', within_days: 0 },
          { event: 'Order Completed', aggregate: 'sum', gte: 5 },
          { evnt: 'typo' },
          { in_audience: 'nobody' },
          { consent: { purpose: 'marketing' } },
        ],
      },
    });
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe('INVALID_AUDIENCE');
    const paths = (bad.json.error.problems as Array<{ path: string }>).map((p) => p.path);
    expect(paths).toEqual(expect.arrayContaining(['rule.all[1].where.gt', 'rule.all[1].gte', 'rule.all[1].within_days', 'rule.all[3]']));
    expect(bad.json.error.message).toContain('rule.all[1].gte: expected a number');
    expect(bad.json.error.message).toContain('rule.all[3]: not a rule; expected one of all, any, not, event, consent, in_audience');

    const meaning = await yard.admin('PUT', '/admin/v1/audiences/bad', {
      rule: { all: [{ event: 'Order Completed', aggregate: 'sum', gte: 5 }, { in_audience: 'nobody' }, { consent: { purpose: 'marketing' } }] },
    });
    expect(meaning.status).toBe(400);
    expect(meaning.json.error.problems).toEqual([
      { path: 'rule.all[0].of', message: expect.stringContaining('is required for aggregate: sum') },
      { path: 'rule.all[1].in_audience', message: 'no audience "nobody"' },
      { path: 'rule.all[2].consent.purpose', message: expect.stringContaining('is not a purpose of privacy.purposes') },
    ]);

    // A cycle through in_audience is refused where it closes.
    expect((await yard.admin('PUT', '/admin/v1/audiences/a', { rule: { in_audience: 'buyers' } })).status).toBe(201);
    expect((await yard.admin('PUT', '/admin/v1/audiences/b', { rule: { not: { in_audience: 'a' } } })).status).toBe(201);
    const cycle = await yard.admin('PUT', '/admin/v1/audiences/a', { rule: { any: [{ in_audience: 'b' }] } });
    expect(cycle.status).toBe(400);
    expect(cycle.json.error.message).toMatch(/rule\.any\[0\]\.in_audience: "a" → "b" → "a" is a cycle|\.in_audience: "b" → "a" → "b" is a cycle/);
    expect((await yard.admin('DELETE', '/admin/v1/audiences/a')).json.error.message).toContain('used by "b"');

    expect((await yard.admin('PUT', '/admin/v1/audiences/Bad Key', { rule: PRO })).status).toBe(400);
    expect((await yard.admin('PUT', '/admin/v1/audiences/ok', { rule: PRO, colour: 'red' })).json.error.problems).toEqual([
      { path: 'colour', message: 'unknown key; an audience has name, description and rule' },
    ]);
    expect((await yard.admin('PUT', '/admin/v1/audiences/ok', { rule: PRO })).status).toBe(201);
    // Config audiences are changed in the config file.
    expect((await yard.admin('PUT', '/admin/v1/audiences/buyers', { rule: PRO })).status).toBe(409);
    expect((await yard.admin('DELETE', '/admin/v1/audiences/buyers')).status).toBe(409);
    const unauthenticated = await fetch(`${yard.router.url}/admin/v1/audiences`);
    expect(unauthenticated.status).toBe(401);
  });

  it('applies audiences of a reloaded config without a restart, and keeps the ones made through the API', async () => {
    yard = await AudienceRouter.start({ audiences: [{ key: 'pro', rule: PRO }] });
    expect((await yard.admin('PUT', '/admin/v1/audiences/pro-fans', { rule: { in_audience: 'pro' } })).status).toBe(201);
    await yard.segment('identify', { userId: 'u-ada', traits: { plan: 'pro', seats: 3 } });
    const ada = await yard.profileOf('user_id', 'u-ada');
    await yard.membersBecome('pro-fans', [ada]);

    const reloaded = await yard.reload({
      audiences: [
        { key: 'pro', rule: { field: 'traits.seats', gte: 10 } },
        { key: 'small', rule: { field: 'traits.seats', lt: 10 } },
      ],
    });
    expect(reloaded).toEqual({ ok: true, changed: expect.arrayContaining(['~audience pro (rule)', '+audience small']) });
    await yard.membersBecome('pro', []);
    await yard.membersBecome('pro-fans', []);
    await yard.membersBecome('small', [ada]);
    const listed = (await yard.admin('GET', '/admin/v1/audiences')).json.audiences.map((a: { key: string; origin: string }) => [a.key, a.origin]);
    expect(listed).toEqual([
      ['pro', 'config'],
      ['pro-fans', 'api'],
      ['small', 'config'],
    ]);
  });
});

describe('audiences in the config file', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'switchyard-audiences-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const problemsOf = async (config: Record<string, unknown>) => {
    const file = join(dir, 'switchyard.yaml');
    writeFileSync(file, stringify({ sources: [{ id: 'web', type: 'segment', writeKey: 'wk_web' }], ...config }));
    try {
      await loadConfig(file, {});
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as ConfigError).problems;
    }
    throw new Error('expected the config to be refused');
  };

  it('names the path of each mistake in a rule', async () => {
    const problems = await problemsOf({
      audiences: [
        { key: 'ok', rule: PRO },
        { key: 'broken', rule: { any: [{ field: 'traits.age', gt: 'old' }, { event: 'Order Completed', within_days: 'forever', gte: 1 }, 'x'] } },
      ],
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        'audiences[1].rule.any[0].gt: expected a number, e.g. gt: 18',
        'audiences[1].rule.any[1].within_days: expected a number of days from 1 to 3650, or ever',
        expect.stringMatching(/^audiences\[1\]\.rule\.any\[2\]: expected a rule/),
      ]),
    );
  });

  it('checks references, purposes, cycles and keys across the audiences of the file', async () => {
    const problems = await problemsOf({
      privacy: { purposes: [{ id: 'marketing' }] },
      audiences: [
        { key: 'a', rule: { in_audience: 'b' } },
        { key: 'b', rule: { all: [{ in_audience: 'a' }, { consent: { purpose: 'ads' } }] } },
        { key: 'c', rule: { in_audience: 'missing' } },
        { key: 'c', rule: PRO },
        { key: 'd', rule: { field: 'plan', equals: 'pro' } },
      ],
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^audiences\[[01]\]\.rule(\.all\[0\])?\.in_audience: "[ab]" → "[ab]" → "[ab]" is a cycle/),
        'audiences[1].rule.all[1].consent.purpose: "ads" is not a purpose of privacy.purposes (marketing)',
        'audiences[2].rule.in_audience: no audience "missing" under audiences',
        'audiences[3].key: "c" is already used by audiences[2]; keys must be unique',
        expect.stringMatching(/^audiences\[4\]\.rule\.field: a trait test reads the profile: write traits\.<name>/),
      ]),
    );
  });
});
