import { createRequire } from 'node:module';
import { Analytics as SegmentAnalytics } from '@segment/analytics-node';
import RudderAnalytics from '@rudderstack/rudder-sdk-node';
import { RecordingSink } from '../helpers/recording-sink.js';
import { startRouter } from '../helpers/router-process.js';

const require = createRequire(import.meta.url);
// The mParticle SDK is CommonJS (a generated swagger client).
const mParticle = require('mparticle');

describe('real client SDKs pointed at the router', () => {
  let sink: RecordingSink;
  let running: Awaited<ReturnType<typeof startRouter>>;

  beforeAll(async () => {
    sink = await new RecordingSink().start();
    running = await startRouter({
      sources: [
        { id: 'web', type: 'segment', writeKey: 'wk_segment' },
        { id: 'server', type: 'segment', writeKey: 'wk_rudder' },
        { id: 'app', type: 'mparticle', apiKey: 'mp_key', apiSecret: 'mp_secret' },
      ],
      connections: [{ id: 'hook', connector: 'webhook', sources: ['web', 'server', 'app'], settings: { url: `${sink.url}/hook` } }],
    });
  });
  afterAll(async () => {
    await running.close();
    await sink.stop();
  });

  const received = (sourceId: string, name: string) => sink.events().find((e) => e.sourceId === sourceId && e.event === name);

  it('@segment/analytics-node: track, identify and page arrive with ids, properties, traits and consent', async () => {
    const analytics = new SegmentAnalytics({ writeKey: 'wk_segment', host: running.router.url, path: '/v1/batch', flushAt: 3, maxRetries: 0 });
    const errors: unknown[] = [];
    analytics.on('error', (error) => errors.push(error));
    analytics.track({
      userId: 'seg-user-1',
      event: 'Order Completed',
      properties: { order_id: 'o-1', total: 42.5, products: [{ sku: 'a', qty: 2 }] },
      context: { consent: { categoryPreferences: { Advertising: false, Analytics: true } } },
      messageId: 'seg-msg-1',
    });
    analytics.identify({ userId: 'seg-user-1', traits: { email: 'Ada@Example.com', plan: 'pro' } });
    analytics.page({ anonymousId: 'anon-9', name: 'Pricing', properties: { path: '/pricing' } });
    await analytics.closeAndFlush({ timeout: 10_000 });
    expect(errors).toEqual([]);

    await sink.waitFor(
      () =>
        Boolean(received('web', 'Order Completed') && received('web', 'Pricing') && sink.events().some((e) => e.sourceId === 'web' && e.type === 'identify')),
      'the Segment events',
    );
    expect(received('web', 'Order Completed')).toMatchObject({
      messageId: 'seg-msg-1',
      type: 'track',
      userId: 'seg-user-1',
      properties: { order_id: 'o-1', total: 42.5, products: [{ sku: 'a', qty: 2 }] },
      context: { consent: { categories: { Advertising: false, Analytics: true } }, library: { name: '@segment/analytics-node' } },
    });
    // Exactly as sent: nothing added to or dropped from the payload the client built.
    expect(received('web', 'Order Completed').properties).toEqual({ order_id: 'o-1', total: 42.5, products: [{ sku: 'a', qty: 2 }] });
    expect(sink.events().find((e) => e.sourceId === 'web' && e.type === 'identify')).toMatchObject({
      userId: 'seg-user-1',
      traits: { email: 'Ada@Example.com', plan: 'pro' },
      identities: { user_id: 'seg-user-1', email: 'Ada@Example.com' },
    });
    expect(received('web', 'Pricing')).toMatchObject({ type: 'page', anonymousId: 'anon-9', properties: { name: 'Pricing', path: '/pricing' } });
  });

  it('@rudderstack/rudder-sdk-node with gzip on: events arrive decompressed and intact', async () => {
    const analytics = new RudderAnalytics('wk_rudder', { dataPlaneUrl: running.router.url, gzip: true, flushAt: 2, retryCount: 0, logLevel: 'error' });
    analytics.track({ userId: 'rs-user', event: 'Item Viewed', properties: { item: 'lamp', price: 19 }, integrations: { All: true } });
    analytics.identify({ anonymousId: 'rs-anon', traits: { country: 'NZ' } });
    await analytics.flush();

    await sink.waitFor(
      () => Boolean(received('server', 'Item Viewed') && sink.events().some((e) => e.sourceId === 'server' && e.type === 'identify')),
      'the RudderStack events',
    );
    expect(received('server', 'Item Viewed')).toMatchObject({ userId: 'rs-user', integrations: { All: true } });
    expect(received('server', 'Item Viewed').properties).toEqual({ item: 'lamp', price: 19 });
    expect(sink.events().find((e) => e.sourceId === 'server' && e.type === 'identify')).toMatchObject({ anonymousId: 'rs-anon', traits: { country: 'NZ' } });
  });

  it('the mparticle node SDK: identities (customerid), mpid, attributes and consent state arrive', async () => {
    const api = new mParticle.EventsApi(new mParticle.Configuration('mp_key', 'mp_secret'));
    api.apiClient.basePath = `${running.router.url}/v2`;
    const batch = new mParticle.Batch(mParticle.Batch.Environment.development);
    batch.user_identities = new mParticle.UserIdentities();
    batch.user_identities.customerid = 'mp-customer-7';
    batch.user_identities.email = 'grace@example.com';
    batch.mpid = '8214689024127836510';
    batch.user_attributes = { tier: 'gold' };
    const consent = new mParticle.ConsentState();
    consent.gdpr.marketing = new mParticle.GDPRConsentState('privacy-policy-v2', true, 1700000000000, 'app', 'hw-1');
    consent.ccpa.data_sale_opt_out = new mParticle.CCPAConsentState('ccpa-doc', true, 1700000000000, 'app', 'hw-1');
    batch.consent_state = consent;
    const event = new mParticle.AppEvent(mParticle.AppEvent.CustomEventType.navigation, 'Opened Settings');
    event.custom_attributes = { section: 'privacy' };
    event.source_message_id = 'mp-msg-1';
    batch.addEvent(event);
    const screen = new mParticle.ScreenViewEvent();
    screen.screen_name = 'Home';
    batch.addEvent(screen);

    const status = await new Promise<number>((resolve, reject) => {
      api.uploadEvents(batch, (error: Error | null, _data: unknown, response: { status: number }) => (error ? reject(error) : resolve(response.status)));
    });
    expect(status).toBe(202);

    await sink.waitFor(() => Boolean(received('app', 'Opened Settings') && received('app', 'Home')), 'the mParticle events');
    expect(received('app', 'Opened Settings')).toMatchObject({
      messageId: 'mp-msg-1',
      type: 'track',
      userId: 'mp-customer-7',
      identities: { customer_id: 'mp-customer-7', email: 'grace@example.com', mpid: '8214689024127836510' },
      traits: { tier: 'gold' },
      properties: { section: 'privacy', custom_event_type: 'navigation' },
      context: { consent: { gdpr: { marketing: { consented: true, document: 'privacy-policy-v2' } }, ccpa: { dataSaleOptOut: true } } },
    });
    expect(received('app', 'Opened Settings').properties).toEqual({ section: 'privacy', custom_event_type: 'navigation' });
    expect(received('app', 'Home')).toMatchObject({ type: 'screen', userId: 'mp-customer-7' });
  });
});
