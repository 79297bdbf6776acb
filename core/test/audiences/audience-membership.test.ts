import { randomUUID } from 'node:crypto';
import { until } from '../helpers/deliveries.js';
import { AudienceRouter } from '../helpers/audiences.js';

const BIG_ORDERS = {
  key: 'big-spenders',
  name: 'Big spenders',
  rule: { event: 'Order Completed', where: { field: 'properties.total', gt: 50 }, gte: 2, within_days: 30 },
};

/** Memberships follow events, traits, consent, merges and erasures, through ingestion and the admin API. */
describe('audience membership', () => {
  let yard: AudienceRouter | undefined;
  afterEach(async () => {
    await yard?.close();
    yard = undefined;
  });

  it('enters by traits within a second of the identify that sets them, and leaves when they change', async () => {
    yard = await AudienceRouter.start({ audiences: [{ key: 'pro', rule: { field: 'traits.plan', equals: 'pro' } }] });
    await yard.segment('identify', { userId: 'u-ada', traits: { plan: 'free' } });
    const ada = await yard.profileOf('user_id', 'u-ada');
    await yard.idle();
    expect(await yard.members('pro')).toEqual([]);

    const sent = Date.now();
    await yard.segment('identify', { userId: 'u-ada', traits: { plan: 'pro' } });
    await yard.membersBecome('pro', [ada], 1000);
    expect(Date.now() - sent).toBeLessThan(1000);

    await yard.segment('identify', { userId: 'u-ada', traits: { plan: 'free' } });
    await yard.membersBecome('pro', []);
    const mine = await yard.admin('GET', `/admin/v1/profiles/${ada}/audiences`);
    expect(mine.json.audiences).toEqual([]);
    expect(mine.json.history).toEqual([expect.objectContaining({ audience: 'pro', exit_reason: 'no_longer_matches', exited_at: expect.any(String) })]);
    expect(yard.calls).toEqual([
      { kind: 'entered', audience: 'pro', profileId: ada },
      { kind: 'exited', audience: 'pro', profileId: ada, reason: 'no_longer_matches' },
    ]);
  });

  it('a rectification of traits through the admin API re-evaluates the person', async () => {
    yard = await AudienceRouter.start({ audiences: [{ key: 'pro', rule: { field: 'traits.plan', equals: 'pro' } }] });
    await yard.segment('identify', { userId: 'u-ada', traits: { plan: 'pro' } });
    const ada = await yard.profileOf('user_id', 'u-ada');
    await yard.membersBecome('pro', [ada]);
    const rectified = await yard.admin('POST', '/admin/v1/rectifications', { identity_type: 'user_id', identity_value: 'u-ada', attributes: { plan: 'free' } });
    expect(rectified.status).toBe(202);
    await yard.membersBecome('pro', []);
  });

  it('enters by a count of filtered events within a window, and leaves when the window moves past them', async () => {
    yard = await AudienceRouter.start({ audiences: [BIG_ORDERS] });
    const firstDay = new Date(yard.now).toISOString().slice(0, 10);
    await yard.segment('track', { userId: 'u-ada', event: 'Order Completed', properties: { total: 60 } });
    await yard.segment('track', { userId: 'u-ada', event: 'Order Completed', properties: { total: 40 } });
    await yard.segment('track', { userId: 'u-ada', event: 'Order Viewed', properties: { total: 90 } });
    const ada = await yard.profileOf('user_id', 'u-ada');
    await yard.idle();
    expect(await yard.members('big-spenders')).toEqual([]);

    await yard.advanceDays(10);
    await yard.segment('track', { userId: 'u-ada', event: 'Order Completed', properties: { total: 75.5 } });
    await yard.membersBecome('big-spenders', [ada]);

    // Day 30 after the first order: it is still in the window. Day 31: it has left, and with it the membership.
    await yard.advanceDays(20);
    expect(await yard.members('big-spenders')).toEqual([ada]);
    await yard.advanceDays(1);
    expect(await yard.members('big-spenders')).toEqual([]);
    const history = (await yard.admin('GET', `/admin/v1/profiles/${ada}/audiences`)).json.history;
    expect(history).toEqual([expect.objectContaining({ audience: 'big-spenders', exit_reason: 'window_moved' })]);
    expect(yard.calls.at(-1)).toEqual({ kind: 'exited', audience: 'big-spenders', profileId: ada, reason: 'window_moved' });
    // The day that left the window is pruned; the later order's day stays.
    const [counters] = (await yard.admin('GET', `/admin/v1/profiles/${ada}/audiences`)).json.aggregates;
    expect(counters.days.map((d: { day: string }) => d.day)).not.toContain(firstDay);
    expect(counters.days).toHaveLength(1);

    // One more big order within 30 days of the second one brings them back.
    await yard.segment('track', { userId: 'u-ada', event: 'Order Completed', properties: { total: 51 } });
    await yard.membersBecome('big-spenders', [ada]);
  });

  it('sums, min and max of a property, and compositions with in_audience and not', async () => {
    yard = await AudienceRouter.start({
      audiences: [
        { key: 'spent-100', rule: { event: 'Order Completed', aggregate: 'sum', of: 'properties.total', gte: 100 } },
        { key: 'small-basket', rule: { event: 'Order Completed', aggregate: 'min', of: 'properties.total', lt: 10 } },
        { key: 'vip', rule: { all: [{ in_audience: 'spent-100' }, { field: 'traits.vip', equals: true }] } },
        { key: 'not-yet', rule: { not: { in_audience: 'spent-100' } } },
      ],
    });
    await yard.segment('identify', { userId: 'u-ada', traits: { vip: true } });
    await yard.segment('identify', { userId: 'u-bob', traits: { vip: false } });
    const [ada, bob] = [await yard.profileOf('user_id', 'u-ada'), await yard.profileOf('user_id', 'u-bob')];
    await yard.membersBecome('not-yet', [ada, bob]);

    // mParticle-style attributes carry numbers as strings: sum, min and max read them.
    for (const total of [60, 5, '45']) await yard.segment('track', { userId: 'u-ada', event: 'Order Completed', properties: { total } });
    await yard.segment('track', { userId: 'u-bob', event: 'Order Completed', properties: { total: 120 } });
    await yard.membersBecome('spent-100', [ada, bob]);
    await yard.membersBecome('vip', [ada]);
    await yard.membersBecome('not-yet', []);
    await yard.membersBecome('small-basket', [ada]);

    await yard.segment('identify', { userId: 'u-ada', traits: { vip: false } });
    await yard.membersBecome('vip', []);
    expect(await yard.members('spent-100')).toEqual([ada, bob].sort());
  });

  it('follows the consent recorded on the person', async () => {
    yard = await AudienceRouter.start({
      privacy: { purposes: [{ id: 'marketing', segmentCategories: ['Marketing'] }], missingConsent: { ccpa: 'allow' } },
      audiences: [
        { key: 'marketable', rule: { consent: { purpose: 'marketing' } } },
        { key: 'opted-out', rule: { consent: { sale_opt_out: true } } },
      ],
    });
    const consent = (marketing: boolean) => ({ context: { consent: { categoryPreferences: { Marketing: marketing } } } });
    await yard.segment('identify', { userId: 'u-ada', ...consent(true) });
    await yard.segment('identify', { userId: 'u-bob' });
    const [ada, bob] = [await yard.profileOf('user_id', 'u-ada'), await yard.profileOf('user_id', 'u-bob')];
    await yard.membersBecome('marketable', [ada]);
    expect(await yard.members('opted-out')).toEqual([]);

    await yard.segment('track', { userId: 'u-ada', event: 'Banner Closed', ...consent(false) });
    await yard.membersBecome('marketable', []);
    await yard.segment('track', { userId: 'u-bob', event: 'Settings Saved', ...consent(true) });
    await yard.membersBecome('marketable', [bob]);
  });

  it('an erased person leaves every audience and loses their aggregates and history', async () => {
    yard = await AudienceRouter.start({
      audiences: [
        { key: 'pro', rule: { field: 'traits.plan', equals: 'pro' } },
        { key: 'buyers', rule: { event: 'Order Completed', gte: 1 } },
      ],
    });
    await yard.segment('identify', { userId: 'u-ada', traits: { plan: 'pro' } });
    await yard.segment('track', { userId: 'u-ada', event: 'Order Completed', properties: { total: 10 } });
    await yard.segment('track', { userId: 'u-bob', event: 'Order Completed', properties: { total: 10 } });
    const [ada, bob] = [await yard.profileOf('user_id', 'u-ada'), await yard.profileOf('user_id', 'u-bob')];
    await yard.membersBecome('buyers', [ada, bob]);
    await yard.membersBecome('pro', [ada]);

    const id = randomUUID();
    const request = {
      regulation: 'gdpr',
      subject_request_id: id,
      subject_request_type: 'erasure',
      submitted_time: new Date().toISOString(),
      subject_identities: [{ identity_type: 'controller_customer_id', identity_value: 'u-ada', identity_format: 'raw' }],
      api_version: '1.0',
    };
    expect((await yard.admin('POST', '/opendsr/v1/requests', request)).status).toBe(201);
    await until(async () => (await yard!.admin('GET', `/opendsr/v1/requests/${id}`)).json.request_status === 'completed', 'the erasure to complete');
    await yard.idle();

    expect(await yard.members('pro')).toEqual([]);
    expect(await yard.members('buyers')).toEqual([bob]);
    // No membership, history or aggregate is left, and the identity graph no longer knows the profile.
    expect((await yard.admin('GET', `/admin/v1/profiles/${ada}/audiences`)).status).toBe(404);
    expect((await yard.admin('GET', `/admin/v1/profiles/${bob}/audiences`)).json.aggregates).toEqual([
      { event: 'Order Completed', total: { count: 1, sum: 0 }, days: [] },
    ]);
    expect(yard.calls.filter((c) => c.kind === 'exited').map((c) => [c.audience, c.profileId])).toEqual(
      expect.arrayContaining([
        ['pro', ada],
        ['buyers', ada],
      ]),
    );
  });

  it('a suppressed person leaves every audience and enters none while suppressed', async () => {
    yard = await AudienceRouter.start({ audiences: [{ key: 'pro', rule: { field: 'traits.plan', equals: 'pro' } }] });
    await yard.segment('identify', { userId: 'u-ada', traits: { plan: 'pro' } });
    const ada = await yard.profileOf('user_id', 'u-ada');
    await yard.membersBecome('pro', [ada]);
    const suppressed = await yard.admin('POST', '/admin/v1/suppressions', { identity_type: 'user_id', identity_value: 'u-ada' });
    expect(suppressed.status).toBe(201);
    await yard.membersBecome('pro', []);
    expect(yard.calls.at(-1)).toEqual({ kind: 'exited', audience: 'pro', profileId: ada, reason: 'suppressed' });
  });

  it('a merge of two profiles adds up their counts', async () => {
    yard = await AudienceRouter.start({ audiences: [{ key: 'repeat-buyers', rule: { event: 'Order Completed', gte: 2, within_days: 7 } }] });
    await yard.segment('track', { anonymousId: 'anon-9', event: 'Order Completed', properties: { total: 5 } });
    await yard.segment('track', { userId: 'u-nine', anonymousId: 'anon-other', event: 'Order Completed', properties: { total: 5 } });
    const [anonymous, known] = [await yard.profileOf('anonymous_id', 'anon-9'), await yard.profileOf('user_id', 'u-nine')];
    expect(anonymous).not.toBe(known);
    await yard.idle();
    expect(await yard.members('repeat-buyers')).toEqual([]);

    await yard.segment('alias', { previousId: 'anon-9', userId: 'u-nine' });
    expect(await yard.profileOf('anonymous_id', 'anon-9')).toBe(known);
    await yard.membersBecome('repeat-buyers', [known]);
    // The counts moved to the survivor: the merged-away profile holds none.
    const today = new Date(yard.now).toISOString().slice(0, 10);
    expect((await yard.admin('GET', `/admin/v1/profiles/${known}/audiences`)).json.aggregates).toEqual([
      { event: 'Order Completed', days: [{ day: today, count: 2, sum: 0 }] },
    ]);
    const merged = await yard.admin('GET', `/admin/v1/profiles/${anonymous}/audiences`);
    expect(merged.status === 404 || merged.json.aggregates.length === 0).toBe(true);
  });
});
