import { HttpSink } from '../helpers/http-sink.js';
import { RouterFixture } from '../helpers/router.js';

const PLAN = {
  data_points: [
    {
      match: { type: 'custom_event', criteria: { event_name: 'Order Completed', custom_event_type: 'transaction' } },
      validator: {
        type: 'json_schema',
        definition: {
          properties: {
            data: {
              properties: {
                custom_attributes: {
                  additionalProperties: false,
                  properties: { total: { type: 'number' }, currency: { type: 'string' } },
                  required: ['total'],
                },
              },
            },
          },
        },
      },
    },
    { match: { type: 'screen_view', criteria: { screen_name: 'Home' } } },
    { match: { type: 'user_attributes', criteria: {} }, validator: { definition: { additionalProperties: false, properties: { plan: { type: 'string' } } } } },
  ],
};

const order = (messageId: string, properties: Record<string, unknown>, traits?: Record<string, unknown>) => ({
  type: 'track',
  userId: 'u1',
  event: 'Order Completed',
  messageId,
  properties,
  ...(traits ? { context: { traits } } : {}),
});

describe('data plans at ingestion', () => {
  let main: HttpSink;
  let quarantine: HttpSink;
  let fixture: RouterFixture;

  beforeAll(async () => {
    main = await new HttpSink().start();
    quarantine = await new HttpSink().start();
    fixture = await new RouterFixture({
      dataPlans: [
        {
          id: 'checkout',
          version: 1,
          document: PLAN,
          quarantine: 'held',
          block: { unplannedEvents: true, unplannedEventAttributes: true, unplannedUserAttributes: true },
        },
      ],
      sources: [
        { id: 'web', type: 'segment', writeKey: 'wk_web', dataPlan: 'checkout' },
        { id: 'app', type: 'mparticle', apiKey: 'mp_key', apiSecret: 'mp_secret' },
      ],
      connections: [
        { id: 'main', connector: 'webhook', settings: { url: `${main.url}/main` } },
        { id: 'held', connector: 'webhook', settings: { url: `${quarantine.url}/held` } },
      ],
    }).start();
  });
  afterAll(async () => {
    await fixture.close();
    await main.stop();
    await quarantine.stop();
  });

  const bodyOf = (sink: HttpSink, id: string) => sink.requests.find((r) => (r.body as { messageId: string }).messageId === id)?.body as any;

  it('forwards planned events untouched and keeps the quarantine connection out of regular fan-out', async () => {
    await fixture.send('/v1/track', order('plan-ok', { total: 10, currency: 'EUR' }), { auth: 'wk_web:' });
    await main.waitFor(() => Boolean(bodyOf(main, 'plan-ok')));
    expect(bodyOf(main, 'plan-ok').properties).toEqual({ total: 10, currency: 'EUR' });
    await fixture.drained();
    expect(bodyOf(quarantine, 'plan-ok')).toBeUndefined();
  });

  it('blocks an unplanned event and quarantines the original', async () => {
    await fixture.send('/v1/track', { type: 'track', userId: 'u1', event: 'Spun Wheel', messageId: 'plan-unplanned' }, { auth: 'wk_web:' });
    await quarantine.waitFor(() => Boolean(bodyOf(quarantine, 'plan-unplanned')));
    expect(bodyOf(quarantine, 'plan-unplanned').context.quarantine).toMatchObject({
      planId: 'checkout',
      blockedEvent: true,
      violations: [expect.objectContaining({ kind: 'unplanned_event' })],
    });
    await fixture.drained();
    expect(bodyOf(main, 'plan-unplanned')).toBeUndefined();
  });

  it('removes unplanned event and user attributes, and quarantines what was removed', async () => {
    await fixture.send('/v1/track', order('plan-extra', { total: 5, coupon: 'FREE' }, { plan: 'pro', shoe_size: 44 }), { auth: 'wk_web:' });
    await main.waitFor(() => Boolean(bodyOf(main, 'plan-extra')));
    await quarantine.waitFor(() => Boolean(bodyOf(quarantine, 'plan-extra')));
    expect(bodyOf(main, 'plan-extra')).toMatchObject({ properties: { total: 5 }, traits: { plan: 'pro' } });
    expect(bodyOf(main, 'plan-extra').properties).not.toHaveProperty('coupon');
    expect(bodyOf(main, 'plan-extra').traits).not.toHaveProperty('shoe_size');
    expect(bodyOf(quarantine, 'plan-extra')).toMatchObject({
      properties: { total: 5, coupon: 'FREE' },
      context: { quarantine: { blockedEvent: false, blockedAttributes: { 'properties.coupon': 'FREE', 'traits.shoe_size': 44 } } },
    });
  });

  it('reports invalid data without blocking it, and counts violations per source and plan', async () => {
    await fixture.send('/v1/track', order('plan-invalid', { total: 'lots' }), { auth: 'wk_web:' });
    await main.waitFor(() => Boolean(bodyOf(main, 'plan-invalid')));
    const stats = fixture.router.intake.stats.bySource().web!;
    expect(stats).toMatchObject({
      'plan:checkout:invalid_data': 1,
      'plan:checkout:unplanned_event': 1,
      'plan:checkout:unplanned_event_attribute': 1,
      'plan:checkout:unplanned_user_attribute': 1,
      blockedByPlan: 1,
    });
  });

  it('applies the plan an mParticle batch names in context.data_plan', async () => {
    const batch = {
      user_identities: { customer_id: 'c1' },
      context: { data_plan: { plan_id: 'checkout', plan_version: 1 } },
      events: [
        {
          event_type: 'custom_event',
          data: { event_name: 'Order Completed', custom_event_type: 'transaction', source_message_id: 'mp-plan-ok', custom_attributes: { total: 3 } },
        },
        { event_type: 'custom_event', data: { event_name: 'Unplanned Thing', custom_event_type: 'other', source_message_id: 'mp-plan-blocked' } },
        { event_type: 'screen_view', data: { screen_name: 'Home', source_message_id: 'mp-plan-screen' } },
      ],
    };
    expect((await fixture.send('/v2/events', batch, { auth: 'mp_key:mp_secret' })).status).toBe(202);
    await main.waitFor(() => Boolean(bodyOf(main, 'mp-plan-ok') && bodyOf(main, 'mp-plan-screen')));
    await quarantine.waitFor(() => Boolean(bodyOf(quarantine, 'mp-plan-blocked')));
    expect(bodyOf(main, 'mp-plan-blocked')).toBeUndefined();
  });
});
