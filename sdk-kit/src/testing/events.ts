import type { AudienceChange, CanonicalEvent, EventContext } from '../types.js';

/** Fields to change on a built event; `context`, `traits`, `properties` and `identities` are merged one level deep. */
export type EventOverrides = Partial<CanonicalEvent>;

let sequence = 0;
const TIMESTAMP = '2026-01-15T10:00:00.000Z';
const SENT_AT = '2026-01-15T10:00:00.500Z';
const RECEIVED_AT = '2026-01-15T10:00:01.000Z';
const EMAIL = 'jane.doe@example.com';

function defaultContext(): EventContext {
  return {
    ip: '203.0.113.7',
    userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15',
    locale: 'en-US',
    timezone: 'Europe/Paris',
    library: { name: '@switchyard/sdk-kit/testing', version: '1' },
    location: { city: 'San Francisco', region: 'CA', country: 'US', latitude: 37.7749, longitude: -122.4194 },
    consent: {
      categories: { necessary: true, analytics: true, advertising: true, marketing: true },
      gdpr: { marketing: { consented: true }, analytics: { consented: true } },
      ccpa: { dataSaleOptOut: false },
    },
  };
}

function build(type: CanonicalEvent['type'], defaults: Partial<CanonicalEvent>, overrides: EventOverrides): CanonicalEvent {
  sequence += 1;
  const base: CanonicalEvent = {
    messageId: `msg-${type}-${sequence}`,
    type,
    userId: 'user-1',
    anonymousId: 'anon-1',
    identities: { user_id: 'user-1', anonymous_id: 'anon-1', email: EMAIL },
    traits: { email: EMAIL, firstName: 'Jane', lastName: 'Doe' },
    properties: {},
    context: defaultContext(),
    timestamp: TIMESTAMP,
    originalTimestamp: TIMESTAMP,
    sentAt: SENT_AT,
    receivedAt: RECEIVED_AT,
    sourceId: 'src-test',
    ...defaults,
  };
  return {
    ...base,
    ...overrides,
    identities: { ...base.identities, ...overrides.identities },
    traits: { ...base.traits, ...overrides.traits },
    properties: { ...base.properties, ...overrides.properties },
    context: { ...base.context, ...overrides.context },
  };
}

/** A canonical `track` event ("Signed Up" unless `event` is given). */
export function buildTrack(overrides: EventOverrides = {}): CanonicalEvent {
  return build('track', { event: 'Signed Up', properties: { plan: 'pro', value: 20, currency: 'USD' } }, overrides);
}

/** A canonical `identify` event with email, phone, name and address traits. */
export function buildIdentify(overrides: EventOverrides = {}): CanonicalEvent {
  return build(
    'identify',
    {
      identities: { user_id: 'user-1', anonymous_id: 'anon-1', email: EMAIL, phone: '+16505551212' },
      traits: {
        email: EMAIL,
        phone: '+16505551212',
        firstName: 'Jane',
        lastName: 'Doe',
        address: { city: 'San Francisco', state: 'CA', postalCode: '94103', country: 'US' },
      },
    },
    overrides,
  );
}

/** A canonical `page` event; the page is in both `properties` and `context.page`, as sources send it. */
export function buildPage(overrides: EventOverrides = {}): CanonicalEvent {
  const page = { url: 'https://shop.example/pricing', path: '/pricing', title: 'Pricing', referrer: 'https://www.example.org/' };
  return build(
    'page',
    {
      event: 'Pricing',
      properties: { name: 'Pricing', ...page },
      context: { ...defaultContext(), page },
    },
    overrides,
  );
}

/** A canonical `screen` event from a mobile app. */
export function buildScreen(overrides: EventOverrides = {}): CanonicalEvent {
  return build(
    'screen',
    {
      event: 'Home',
      properties: { name: 'Home' },
      context: {
        ...defaultContext(),
        app: { name: 'Example', version: '2.1.0', build: '210' },
        device: { type: 'ios', model: 'iPhone15,2', advertisingId: '6D92078A-8246-4BA4-AE5B-76104861E7DC' },
        os: { name: 'iOS', version: '17.1' },
      },
    },
    overrides,
  );
}

/** A canonical `group` event: the user joins the account `group-1`. */
export function buildGroup(overrides: EventOverrides = {}): CanonicalEvent {
  return build(
    'group',
    {
      groupId: 'group-1',
      traits: { name: 'Acme Inc', industry: 'Retail', employees: 120, email: 'billing@acme.example' },
    },
    overrides,
  );
}

/** A canonical `commerce` purchase ("Order Completed") with two products. */
export function buildCommerce(overrides: EventOverrides = {}): CanonicalEvent {
  return build(
    'commerce',
    {
      event: 'Order Completed',
      properties: {
        order_id: 'order-1001',
        total: 59.9,
        revenue: 59.9,
        value: 59.9,
        currency: 'USD',
        num_items: 3,
        products: [
          { product_id: 'sku-1', sku: 'sku-1', name: 'T-shirt', category: 'Apparel', price: 19.95, quantity: 2 },
          { product_id: 'sku-2', sku: 'sku-2', name: 'Socks', category: 'Apparel', price: 20, quantity: 1 },
        ],
      },
    },
    overrides,
  );
}

/** Fields to change on a built audience event; `audience` is merged one level deep too. */
export type AudienceEventOverrides = Omit<EventOverrides, 'audience'> & { audience?: Partial<AudienceChange> };

/**
 * A canonical `audience` event, as the router queues one membership change for a sync's connection: the person
 * `7319483756` (email, phone, user and anonymous id) enters the audience `vip_customers` unless `audience` says otherwise.
 */
export function buildAudience(overrides: AudienceEventOverrides = {}): CanonicalEvent {
  const { audience, ...rest } = overrides;
  const event = build(
    'audience',
    {
      profileId: '7319483756',
      identities: { user_id: 'user-1', anonymous_id: 'anon-1', email: EMAIL, phone: '+16505551212' },
      traits: {},
    },
    rest,
  );
  return { ...event, audience: { key: 'vip_customers', name: 'VIP customers', action: 'add', at: TIMESTAMP, ...audience } };
}

/** One event of each kind the builders make: the conformance suite's default sample. */
export function sampleEvents(): CanonicalEvent[] {
  return [buildTrack(), buildIdentify(), buildPage(), buildScreen(), buildGroup(), buildCommerce()];
}
