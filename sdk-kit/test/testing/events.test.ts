import { buildCommerce, buildGroup, buildIdentify, buildPage, buildScreen, buildTrack } from '../../src/testing/index.js';

test('builders give each event a unique messageId and the canonical shape', () => {
  const events = [buildTrack(), buildIdentify(), buildPage(), buildScreen(), buildGroup(), buildCommerce()];
  expect(events.map((e) => e.type)).toEqual(['track', 'identify', 'page', 'screen', 'group', 'commerce']);
  expect(new Set(events.map((e) => e.messageId)).size).toBe(6);
  for (const event of events) {
    expect(event).toMatchObject({
      userId: 'user-1',
      anonymousId: 'anon-1',
      sourceId: 'src-test',
      context: { ip: '203.0.113.7', locale: 'en-US', consent: { ccpa: { dataSaleOptOut: false } } },
    });
    expect(typeof event.context.userAgent).toBe('string');
    expect(Date.parse(event.timestamp)).not.toBeNaN();
  }
  expect(buildTrack().traits.email).toBe('jane.doe@example.com');
  expect(buildGroup().groupId).toBe('group-1');
  expect(buildCommerce().properties.products).toHaveLength(2);
  expect(buildPage().context.page).toMatchObject({ url: 'https://shop.example/pricing' });
});

test('overrides replace top-level fields and merge context, traits, properties and identities', () => {
  const event = buildTrack({
    event: 'Order Completed',
    userId: 'u-9',
    context: { ip: '198.51.100.1' },
    traits: { plan: 'pro' },
    properties: { total: 5 },
  });
  expect(event.event).toBe('Order Completed');
  expect(event.userId).toBe('u-9');
  expect(event.context.ip).toBe('198.51.100.1');
  expect(event.context.locale).toBe('en-US');
  expect(event.traits).toMatchObject({ plan: 'pro', email: 'jane.doe@example.com' });
  expect(event.properties).toMatchObject({ total: 5, plan: 'pro' });
});
