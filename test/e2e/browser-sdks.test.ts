import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { launchChromium, startOtherOrigin } from '../helpers/chromium.js';
import { RecordingSink } from '../helpers/recording-sink.js';
import { startRouter } from '../helpers/router-process.js';

const require = createRequire(import.meta.url);
/** A file of an installed package (found through its main entry, since some export maps hide package.json). */
const packageFile = (name: string, entryToRoot: string, file: string) => join(dirname(require.resolve(name)), entryToRoot, file);

/** Each SDK's browser bundle, from its npm package: the page loads them from its own origin, no CDN. */
const SCRIPTS = {
  '/sdk/segment.js': packageFile('@segment/analytics-next', '../..', 'dist/umd/index.js'),
  '/sdk/rudderstack.js': packageFile('@rudderstack/analytics-js', '../../..', 'npm/modern/bundled/umd/index.js'),
  '/sdk/mparticle.js': packageFile('@mparticle/web-sdk', '..', 'dist/mparticle.js'),
};
const pageWith = (script: string) => `<!doctype html><meta charset="utf-8"><title>shop</title><script src="/sdk/${script}.js"></script>`;
const PAGES = { '/segment.html': pageWith('segment'), '/rudderstack.html': pageWith('rudderstack'), '/mparticle.html': pageWith('mparticle') };

const ADMIN_TOKEN = 'browser-sdks-admin-token-01';

describe('the vendors’ own web SDKs, unmodified, in headless Chromium on another origin', () => {
  const sink = new RecordingSink();
  let shop: Awaited<ReturnType<typeof startOtherOrigin>>;
  let stranger: Awaited<ReturnType<typeof startOtherOrigin>>;
  let router: Awaited<ReturnType<typeof startRouter>>;
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  let browser: Browser;
  let base: string;
  /** What the pages printed as errors and which requests failed, for the failure messages. */
  const diagnostics: string[] = [];
  /** Every request the pages made to the router, as `METHOD /path`. */
  const requested: string[] = [];

  beforeAll(async () => {
    await sink.start();
    shop = await startOtherOrigin({ pages: PAGES, scripts: SCRIPTS });
    stranger = await startOtherOrigin({ pages: PAGES, scripts: SCRIPTS });
    router = await startRouter({
      admin: { tokens: [ADMIN_TOKEN] },
      sources: [
        { id: 'segment-web', type: 'segment', writeKey: 'wk_browser', allowedOrigins: [shop.origin] },
        // COPPA: the IP the browser sent from is not kept.
        { id: 'rudder-web', type: 'segment', writeKey: 'wk_rudder', allowedOrigins: [shop.origin], ipCollection: false },
        { id: 'mparticle-web', type: 'mparticle', apiKey: 'mp_browser', apiSecret: 'mp-browser-secret-unused', web: true, allowedOrigins: [shop.origin] },
      ],
      connections: [{ id: 'hook', connector: 'webhook', settings: { url: `${sink.url}/in` } }],
    });
    base = router.router.url;
    chromium = await launchChromium();
    browser = chromium.browser;
  }, 60_000);

  afterAll(async () => {
    await chromium?.close();
    await router?.close();
    await Promise.all([sink.stop(), shop?.close(), stranger?.close()]);
  });

  async function open(site: { url: string }, path: string): Promise<Page> {
    const page = await browser.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warn') diagnostics.push(`console ${message.type()}: ${message.text()}`);
    });
    page.on('requestfailed', (request) => diagnostics.push(`failed ${request.method()} ${request.url()}: ${request.failure()?.errorText}`));
    page.on('request', (request) => {
      if (request.url().startsWith(base)) requested.push(`${request.method()} ${new URL(request.url()).pathname}`);
    });
    page.on('response', (response) => {
      if (response.status() >= 400) diagnostics.push(`answered ${response.status()} to ${response.request().method()} ${response.url()}`);
    });
    await page.goto(new URL(path, site.url).href);
    return page;
  }

  const eventOf = (sourceId: string, predicate: (event: any) => boolean) => sink.events().find((e) => e.sourceId === sourceId && predicate(e));
  const waitForEvents = (sourceId: string, predicates: Array<(event: any) => boolean>, what: string) =>
    sink.waitFor(() => predicates.every((p) => eventOf(sourceId, p)), `${what}; page diagnostics: ${diagnostics.slice(-15).join(' | ')}`, 30_000);

  it('@segment/analytics-next loads its settings from the router and delivers identify, track and page', async () => {
    const page = await open(shop, '/segment.html');
    await page.evaluate(async (router: string) => {
      const [analytics] = await (window as any).AnalyticsNext.AnalyticsBrowser.load({ writeKey: 'wk_browser', cdnURL: router });
      await analytics.identify('seg-user-1', { email: 'ada@example.com', plan: 'pro' });
      await analytics.track('Order Completed', { order_id: 'o-1', total: 42.5, products: [{ sku: 'lamp', qty: 2 }] });
      await analytics.page('Docs', 'Pricing', { tier: 'team' });
    }, base);

    await waitForEvents(
      'segment-web',
      [(e) => e.type === 'identify', (e) => e.event === 'Order Completed', (e) => e.type === 'page'],
      'the analytics.js events',
    );
    expect(eventOf('segment-web', (e) => e.type === 'identify')).toMatchObject({
      userId: 'seg-user-1',
      traits: { email: 'ada@example.com', plan: 'pro' },
      identities: { user_id: 'seg-user-1', email: 'ada@example.com' },
    });
    const track = eventOf('segment-web', (e) => e.event === 'Order Completed');
    expect(track).toMatchObject({ userId: 'seg-user-1', anonymousId: expect.any(String) });
    expect(track.properties).toEqual({ order_id: 'o-1', total: 42.5, products: [{ sku: 'lamp', qty: 2 }] });
    expect(track.context).toMatchObject({ ip: '127.0.0.1', userAgent: expect.stringMatching(/Chrome/), page: { url: `${shop.origin}/segment.html` } });
    expect(eventOf('segment-web', (e) => e.type === 'page')).toMatchObject({ properties: { name: 'Pricing', category: 'Docs', tier: 'team' } });
    expect(requested).toEqual(expect.arrayContaining(['GET /v1/projects/wk_browser/settings', 'POST /v1/i', 'POST /v1/t', 'POST /v1/p']));
    await page.close();
  });

  it('@rudderstack/analytics-js loads /sourceConfig from the router and delivers identify, track and page; the COPPA source keeps no IP', async () => {
    const page = await open(shop, '/rudderstack.html');
    await page.evaluate(async (router: string) => {
      const rudder = new (window as any).rudderanalytics.RudderAnalytics();
      await new Promise<void>((resolve) => {
        rudder.load('wk_rudder', router, { configUrl: router, logLevel: 'ERROR', polyfillIfRequired: false, onLoaded: () => resolve() });
      });
      rudder.identify('rs-user-1', { email: 'grace@example.com', country: 'NZ' });
      rudder.track('Item Viewed', { item: 'lamp', price: 19 });
      rudder.page('Catalog', 'Lamps', { shelf: 3 });
    }, base);

    await waitForEvents('rudder-web', [(e) => e.type === 'identify', (e) => e.event === 'Item Viewed', (e) => e.type === 'page'], 'the RudderStack events');
    expect(eventOf('rudder-web', (e) => e.type === 'identify')).toMatchObject({ userId: 'rs-user-1', traits: { email: 'grace@example.com', country: 'NZ' } });
    const track = eventOf('rudder-web', (e) => e.event === 'Item Viewed');
    expect(track).toMatchObject({ userId: 'rs-user-1', properties: { item: 'lamp', price: 19 } });
    expect(track.context.ip).toBeUndefined();
    expect(track.context).toMatchObject({ userAgent: expect.stringMatching(/Chrome/), page: { url: `${shop.origin}/rudderstack.html` } });
    expect(eventOf('rudder-web', (e) => e.type === 'page')).toMatchObject({ properties: { name: 'Lamps', category: 'Catalog', shelf: 3 } });
    expect(requested).toEqual(expect.arrayContaining(['GET /sourceConfig/', 'POST /v1/identify', 'POST /v1/track', 'POST /v1/page']));
    await page.close();
  });

  it('@rudderstack/analytics-js with useBeacon sends its batch by navigator.sendBeacon to /beacon/v1/batch', async () => {
    const page = await open(shop, '/rudderstack.html');
    await page.evaluate(async (router: string) => {
      const rudder = new (window as any).rudderanalytics.RudderAnalytics();
      await new Promise<void>((resolve) => {
        rudder.load('wk_rudder', router, {
          configUrl: router,
          logLevel: 'ERROR',
          polyfillIfRequired: false,
          useBeacon: true,
          beaconQueueOptions: { flushQueueInterval: 200 },
          onLoaded: () => resolve(),
        });
      });
      rudder.track('Beaconed', { via: 'sendBeacon' }, { anonymousId: 'beacon-visitor' });
    }, base);
    await waitForEvents('rudder-web', [(e) => e.event === 'Beaconed'], 'the beacon batch');
    expect(eventOf('rudder-web', (e) => e.event === 'Beaconed').properties).toEqual({ via: 'sendBeacon' });
    expect(requested).toContain('POST /beacon/v1/batch');
    await page.close();
  });

  it('@mparticle/web-sdk identifies through IDSync at /identity/v1 and uploads events to /webevents/v3/JS with its key alone', async () => {
    const page = await open(shop, '/mparticle.html');
    const mpid = await page.evaluate(async (host: string) => {
      const mParticle = (window as any).mParticle;
      const identified = new Promise<string>((resolve, reject) => {
        mParticle.init('mp_browser', {
          isDevelopmentMode: true,
          domain: host,
          forceHttps: false,
          requestConfig: false,
          logLevel: 'warning',
          identifyRequest: { userIdentities: { customerid: 'mp-user-1', email: 'linus@example.com' } },
          identityCallback: (result: any) =>
            result.httpCode === 200 ? resolve(result.getUser().getMPID()) : reject(new Error(`identify answered ${result.httpCode}`)),
        });
      });
      const id = await identified;
      mParticle.Identity.getCurrentUser().setUserAttribute('tier', 'gold');
      mParticle.logEvent('Played Song', mParticle.EventType.Other, { genre: 'jazz', minutes: 3 });
      mParticle.logPageView('Home', { section: 'front' });
      mParticle.upload();
      return id;
    }, new URL(base).host);

    expect(mpid).toMatch(/^-?\d+$/);
    await waitForEvents('mparticle-web', [(e) => e.event === 'Played Song', (e) => e.event === 'Home'], 'the mParticle events');
    const played = eventOf('mparticle-web', (e) => e.event === 'Played Song');
    expect(played).toMatchObject({
      userId: 'mp-user-1',
      identities: { customer_id: 'mp-user-1', email: 'linus@example.com', mpid },
      traits: { tier: 'gold' },
      properties: { genre: 'jazz', minutes: 3 },
    });
    expect(played.context).toMatchObject({ ip: '127.0.0.1', userAgent: expect.stringMatching(/Chrome/) });
    expect(requested).toEqual(expect.arrayContaining(['POST /identity/v1/identify', 'POST /webevents/v3/JS/mp_browser/events']));
    await page.close();
  });

  it('takes navigator.sendBeacon and fetch(keepalive) bodies of nearly 64 KB', async () => {
    // One page each: a page's keepalive bodies in flight share the 64 KB.
    const send = async (how: 'beacon' | 'keepalive') => {
      const page = await open(shop, '/segment.html');
      const outcome = await page.evaluate(
        async (router: string, how: string) => {
          // Three messages of 20 KB: each under the 32 KB message limit, together near the 64 KB cap.
          const batch = [1, 2, 3].map((i) => ({
            type: 'track',
            event: 'Unloaded',
            anonymousId: 'leaving-visitor',
            messageId: `${how}-${i}`,
            properties: { filler: 'x'.repeat(20_000) },
          }));
          const body = JSON.stringify({ writeKey: 'wk_browser', batch, sentAt: new Date().toISOString() });
          const sent =
            how === 'beacon'
              ? navigator.sendBeacon(`${router}/v1/b`, new Blob([body], { type: 'text/plain' }))
              : (await fetch(`${router}/v1/b`, { method: 'POST', keepalive: true, headers: { 'content-type': 'text/plain' }, body })).status === 200;
          return { size: body.length, sent };
        },
        base,
        how,
      );
      expect(outcome.sent).toBe(true);
      expect(outcome.size).toBeGreaterThan(60_000);
      await waitForEvents(
        'segment-web',
        [1, 2, 3].map((i) => (e: any) => e.messageId === `${how}-${i}`),
        `the ${how} batch`,
      );
      await page.close();
    };
    await send('beacon');
    await send('keepalive');
  });

  it("refuses a page whose origin is not in the source's allowedOrigins: the SDK cannot load and nothing is stored", async () => {
    const page = await open(stranger, '/segment.html');
    const outcome = await page.evaluate(async (router: string) => {
      const load = await (window as any).AnalyticsNext.AnalyticsBrowser.load({ writeKey: 'wk_browser', cdnURL: router }).then(
        () => 'loaded',
        (error: Error) => `refused: ${error.name}`,
      );
      const direct = await fetch(`${router}/v1/t`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain', authorization: `Basic ${btoa('wk_browser:')}` },
        body: JSON.stringify({ userId: 'stranger', event: 'Stranger Event', messageId: 'from-stranger' }),
      }).then(
        (response) => `answered ${response.status}`,
        (error: Error) => `refused: ${error.name}`,
      );
      return { load, direct };
    }, base);
    expect(outcome).toEqual({ load: expect.stringMatching(/^refused/), direct: 'refused: TypeError' });

    // The router refused the request itself, not only the browser the answer: an event sent after it arrives alone.
    const after = await fetch(`${base}/v1/track`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from('wk_browser:').toString('base64')}` },
      body: JSON.stringify({ userId: 'server', event: 'After Stranger', messageId: 'after-stranger' }),
    });
    expect(after.status).toBe(200);
    await waitForEvents('segment-web', [(e) => e.messageId === 'after-stranger'], 'the event sent after the refused one');
    expect(sink.events().some((e) => e.messageId === 'from-stranger')).toBe(false);
    await page.close();
  });

  it('refuses admin calls from another origin: the browser gets no answer to read', async () => {
    const page = await open(shop, '/segment.html');
    const outcomes = await page.evaluate(
      async (router: string, token: string) => {
        const attempt = (path: string, init?: RequestInit) =>
          fetch(`${router}${path}`, init).then(
            (response) => `answered ${response.status}`,
            (error: Error) => `refused: ${error.name}`,
          );
        return [
          await attempt('/admin/v1/connections', { headers: { authorization: `Bearer ${token}` } }),
          await attempt('/admin/v1/connections'),
          await attempt('/opendsr/v1/requests', {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            body: '{}',
          }),
        ];
      },
      base,
      ADMIN_TOKEN,
    );
    expect(outcomes).toEqual(['refused: TypeError', 'refused: TypeError', 'refused: TypeError']);
    await page.close();
  });
});
