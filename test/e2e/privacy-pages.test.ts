import { createRequire } from 'node:module';
import { randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { launchChromium, startOtherOrigin } from '../helpers/chromium.js';
import { RecordingSink } from '../helpers/recording-sink.js';
import { startRouter } from '../helpers/router-process.js';

const require = createRequire(import.meta.url);
const packageFile = (name: string, entryToRoot: string, file: string) => join(dirname(require.resolve(name)), entryToRoot, file);

/** The vendors' own browser bundles, from their npm packages (as in browser-sdks.test.ts). */
const SCRIPTS = {
  '/sdk/segment.js': packageFile('@segment/analytics-next', '../..', 'dist/umd/index.js'),
  '/sdk/mparticle.js': packageFile('@mparticle/web-sdk', '..', 'dist/mparticle.js'),
};

/** Until `read` gives a value, re-checked every few milliseconds; fails after `ms`. */
async function until<T>(read: () => Promise<T | undefined> | T | undefined, what: string, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('the consent banner and the request page, in headless Chromium, on another origin', () => {
  const sink = new RecordingSink();
  const pages: Record<string, string> = {};
  let shop: Awaited<ReturnType<typeof startOtherOrigin>>;
  let stranger: Awaited<ReturnType<typeof startOtherOrigin>>;
  let router: Awaited<ReturnType<typeof startRouter>>;
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  let browser: Browser;
  let base: string;
  const diagnostics: string[] = [];

  beforeAll(async () => {
    await sink.start();
    shop = await startOtherOrigin({ pages, scripts: SCRIPTS });
    stranger = await startOtherOrigin({ pages, scripts: SCRIPTS });
    router = await startRouter({
      dsr: { gracePeriodMs: 0 },
      privacy: {
        purposes: [
          { id: 'analytics', description: 'Measure how the shop is used', segmentCategories: ['Analytics'], mparticlePurposes: ['analytics'] },
          { id: 'marketing', description: 'Show me offers', segmentCategories: ['Advertising'], mparticlePurposes: ['marketing'] },
        ],
      },
      privacyPages: {
        consent: { allowedOrigins: [shop.origin], title: 'Your privacy choices' },
        requests: { emailConnection: 'mail', siteName: 'Lamp Shop', requestsPerWindow: 6 },
      },
      sources: [
        { id: 'segment-web', type: 'segment', writeKey: 'wk_browser', allowedOrigins: [shop.origin] },
        { id: 'mparticle-web', type: 'mparticle', apiKey: 'mp_browser', apiSecret: 'mp-browser-secret-unused', web: true, allowedOrigins: [shop.origin] },
      ],
      connections: [
        { id: 'everything', connector: 'webhook', settings: { url: `${sink.url}/everything` } },
        { id: 'analytics-tool', connector: 'webhook', consent: { purposes: ['analytics'] }, settings: { url: `${sink.url}/analytics` } },
        { id: 'mail', connector: 'webhook', settings: { url: `${sink.url}/mail` } },
      ],
    });
    base = router.router.url;
    const banner = `<script src="${base}/consent.js"></script>`;
    pages['/segment.html'] =
      `<!doctype html><meta charset="utf-8"><title>shop</title><script src="/sdk/segment.js"></script><body><p>Lamps</p>${banner}</body>`;
    pages['/mparticle.html'] =
      `<!doctype html><meta charset="utf-8"><title>shop</title><script src="/sdk/mparticle.js"></script><body><p>Lamps</p>${banner}</body>`;
    chromium = await launchChromium();
    browser = chromium.browser;
  }, 60_000);

  afterAll(async () => {
    await chromium?.close();
    await router?.close();
    await Promise.all([sink.stop(), shop?.close(), stranger?.close()]);
  });

  /** A page in a browser context of its own: no choice stored by an earlier test. */
  async function open(url: string): Promise<Page> {
    const context = await browser.createBrowserContext();
    const page = await context.newPage();
    page.once('close', () => void context.close().catch(() => undefined));
    page.on('console', (message) => {
      if (message.type() === 'error') diagnostics.push(`console: ${message.text()}`);
    });
    page.on('requestfailed', (request) => diagnostics.push(`failed ${request.method()} ${request.url()}: ${request.failure()?.errorText}`));
    await page.goto(url);
    return page;
  }

  const eventsAt = (path: string) => sink.requests.filter((r) => r.path === path).flatMap((r) => (Array.isArray(r.body?.batch) ? r.body.batch : [r.body]));
  const waitAt = (path: string, predicate: (event: any) => boolean, what: string) =>
    until(() => eventsAt(path).find(predicate), `${what}; page diagnostics: ${diagnostics.slice(-10).join(' | ')}`);
  const focused = (page: Page) =>
    page.evaluate(() => (document.activeElement as HTMLElement | null)?.getAttribute('data-purpose') ?? document.activeElement?.textContent ?? '');
  /** Presses Tab until the element with this text or purpose has focus (keyboard only, as a person would). */
  async function tabTo(page: Page, label: string): Promise<void> {
    for (let presses = 0; presses < 20; presses += 1) {
      if ((await focused(page)) === label) return;
      await page.keyboard.press('Tab');
    }
    throw new Error(`Tab never reached "${label}" (focus is on "${await focused(page)}")`);
  }
  /** Listens for the router's answer to the next choice the banner records; `.answer()` waits for it. */
  async function nextRecording(page: Page) {
    await page.evaluate(() => {
      (window as any).recordedAnswer = undefined;
      document.addEventListener('switchyard:consent-recorded', (e) => ((window as any).recordedAnswer = (e as CustomEvent).detail), { once: true });
    });
    return { answer: async () => (await page.waitForFunction(() => (window as any).recordedAnswer, { timeout: 20_000 })).jsonValue() };
  }
  /** A server-side event for the visitor, carrying no consent of its own: only the router's record decides. */
  const serverTrack = async (anonymousId: string, name: string) => {
    const messageId = randomUUID();
    const response = await fetch(`${base}/v1/track`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from('wk_browser:').toString('base64')}` },
      body: JSON.stringify({ anonymousId, event: name, messageId }),
    });
    expect(response.status).toBe(200);
    await waitAt('/everything', (e) => e.messageId === messageId, name);
    return messageId;
  };

  it('Segment: chosen by keyboard, the choice reaches the router and the SDK payloads; withdrawn, routing stops', async () => {
    const page = await open(`${shop.origin}/segment.html`);
    const anonymousId = await page.evaluate(async (router: string) => {
      const [analytics] = await (window as any).AnalyticsNext.AnalyticsBrowser.load({ writeKey: 'wk_browser', cdnURL: router });
      (window as any).SwitchyardConsent.use({ analytics });
      (window as any).shopAnalytics = analytics;
      return analytics.user().anonymousId() as string;
    }, base);

    // First visit: the banner is open as a dialog and has the focus.
    const dialog = await page.$('[role="dialog"]');
    expect(await dialog!.evaluate((d) => [d.getAttribute('aria-modal'), document.getElementById(d.getAttribute('aria-labelledby')!)!.textContent])).toEqual([
      'true',
      'Your privacy choices',
    ]);
    expect(await focused(page)).toBe('analytics');

    // Tab stays inside the dialog: from the last button it comes back to the first control.
    await tabTo(page, 'Save my choices');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => Boolean(document.activeElement?.closest('[role="dialog"]')))).toBe(true);

    // Allow analytics only, with the keyboard alone.
    await tabTo(page, 'analytics');
    await page.keyboard.press('Space');
    const recorded = await nextRecording(page);
    await tabTo(page, 'Save my choices');
    await page.keyboard.press('Enter');
    expect(await recorded.answer()).toMatchObject({ ok: true });
    expect(await page.$('[role="dialog"]')).toBeNull();

    await page.evaluate(() => (window as any).shopAnalytics.track('Lamp Viewed', { sku: 'lamp' }));
    const viewed = await waitAt('/everything', (e) => e.event === 'Lamp Viewed' && e.anonymousId === anonymousId, 'the tracked event');
    expect(viewed.context.consent).toMatchObject({ categories: { Analytics: true, Advertising: false } });
    await waitAt('/analytics', (e) => e.event === 'Lamp Viewed' && e.anonymousId === anonymousId, 'the event at the analytics connection');
    const consented = await serverTrack(anonymousId, 'Server event while consenting');
    await waitAt('/analytics', (e) => e.messageId === consented, 'the server event at the analytics connection');

    // Escape closes a re-opened banner without changing anything, and gives the focus back.
    await tabTo(page, 'Privacy choices');
    await page.keyboard.press('Enter');
    expect(await page.$('[role="dialog"]')).not.toBeNull();
    await page.keyboard.press('Escape');
    expect(await page.$('[role="dialog"]')).toBeNull();
    expect(await focused(page)).toBe('Privacy choices');

    // Withdraw: re-open from "Privacy choices", untick analytics, save.
    await page.keyboard.press('Enter');
    expect(await focused(page)).toBe('analytics');
    expect(await page.evaluate(() => (document.activeElement as HTMLInputElement).checked)).toBe(true);
    await page.keyboard.press('Space');
    const withdrawn = await nextRecording(page);
    await tabTo(page, 'Save my choices');
    await page.keyboard.press('Enter');
    expect(await withdrawn.answer()).toMatchObject({ ok: true });

    await page.evaluate(() => (window as any).shopAnalytics.track('Lamp Compared', { sku: 'lamp' }));
    const compared = await waitAt('/everything', (e) => e.event === 'Lamp Compared' && e.anonymousId === anonymousId, 'the event after withdrawal');
    expect(compared.context.consent).toMatchObject({ categories: { Analytics: false, Advertising: false } });
    const afterWithdrawal = await serverTrack(anonymousId, 'Server event after withdrawal');
    await until(async () => Object.keys(await router.router.queue.depth()).length === 0, 'the queue to drain');
    const atAnalytics = eventsAt('/analytics').map((e) => e.messageId);
    expect(atAnalytics).not.toContain(afterWithdrawal);
    expect(atAnalytics).not.toContain(compared.messageId);
    await page.close();
  }, 90_000);

  it('mParticle: the choice becomes the SDK’s GDPR consent state on its uploads', async () => {
    const page = await open(`${shop.origin}/mparticle.html`);
    await page.evaluate(async (host: string) => {
      const mParticle = (window as any).mParticle;
      await new Promise<void>((resolve, reject) => {
        mParticle.init('mp_browser', {
          isDevelopmentMode: true,
          domain: host,
          forceHttps: false,
          requestConfig: false,
          logLevel: 'warning',
          identifyRequest: { userIdentities: { customerid: 'mp-consent-1' } },
          identityCallback: (result: any) => (result.httpCode === 200 ? resolve() : reject(new Error(`identify answered ${result.httpCode}`))),
        });
      });
      (window as any).SwitchyardConsent.use({ mParticle });
    }, new URL(base).host);
    expect(await focused(page)).toBe('analytics');
    const recorded = await nextRecording(page);
    await tabTo(page, 'Accept all');
    await page.keyboard.press('Enter');
    expect(await recorded.answer()).toMatchObject({ ok: true });
    await page.evaluate(() => {
      const mParticle = (window as any).mParticle;
      mParticle.logEvent('Lamp Bought', mParticle.EventType.Transaction, { sku: 'lamp' });
      mParticle.upload();
    });
    const bought = await waitAt('/everything', (e) => e.event === 'Lamp Bought', 'the mParticle event');
    expect(bought.context.consent.gdpr).toMatchObject({ analytics: { consented: true }, marketing: { consented: true } });
    await waitAt('/analytics', (e) => e.event === 'Lamp Bought', 'the mParticle event at the analytics connection');
    await page.close();
  }, 90_000);

  it('a hostile page can neither drive the consent frame nor post a choice; the allowed site can', async () => {
    /** From a page of `site`: frame the consent recorder as if for the shop, send it a choice, and post one directly. */
    const attempt = async (site: { origin: string }, anonymousId: string) => {
      const page = await open(`${site.origin}/blank.html`);
      const outcome = await page.evaluate(
        async (router: string, shopOrigin: string, id: string) => {
          const choice = { site: shopOrigin, identities: { anonymous_id: id }, purposes: { analytics: true } };
          const frame = document.createElement('iframe');
          frame.src = `${router}/privacy/consent/frame?site=${encodeURIComponent(shopOrigin)}`;
          const ready = new Promise<string>((resolve) =>
            window.addEventListener('message', (e) => e.data?.type === 'switchyard-consent:ready' && resolve('frame ready')),
          );
          const recorded = new Promise<string>((resolve) =>
            window.addEventListener('message', (e) => e.data?.type === 'switchyard-consent:recorded' && resolve(e.data.ok ? 'recorded' : 'refused')),
          );
          const loaded = new Promise((resolve) => frame.addEventListener('load', resolve));
          document.body.appendChild(frame);
          await loaded;
          // The frame says it is ready within moments when it runs; a blocked frame never does.
          const frameState = await Promise.race([ready, new Promise<string>((resolve) => setTimeout(() => resolve('no frame'), 3000))]);
          frame.contentWindow!.postMessage({ type: 'switchyard-consent:choice', id: 1, ...choice }, '*');
          const viaFrame = frameState === 'frame ready' ? await recorded : 'not sent';
          const direct = await fetch(`${router}/privacy/consent`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(choice),
          }).then(
            (response) => `answered ${response.status}`,
            (error: Error) => `refused: ${error.name}`,
          );
          return { frameState, viaFrame, direct };
        },
        base,
        shop.origin,
        anonymousId,
      );
      await page.close();
      return outcome;
    };
    const victim = `victim-${randomUUID()}`;
    expect(await attempt(stranger, victim)).toEqual({ frameState: 'no frame', viaFrame: 'not sent', direct: 'refused: TypeError' });
    const afterHostile = await serverTrack(victim, 'After the hostile page');
    // The same steps from the shop: its frame runs and records (a direct post is still refused: not the router's origin).
    const visitor = `visitor-${randomUUID()}`;
    expect(await attempt(shop, visitor)).toEqual({ frameState: 'frame ready', viaFrame: 'recorded', direct: 'refused: TypeError' });
    const afterShop = await serverTrack(visitor, 'After the shop');
    await waitAt('/analytics', (e) => e.messageId === afterShop, 'the consented visitor’s event');
    await until(async () => Object.keys(await router.router.queue.depth()).length === 0, 'the queue to drain');
    expect(eventsAt('/analytics').some((e) => e.messageId === afterHostile)).toBe(false);
  }, 90_000);

  it('the request page: email, link from the mail, confirmation, status, export; an unknown address gets the same answer', async () => {
    // The reader browsed the shop before: the router holds their identify.
    const known = await fetch(`${base}/v1/identify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from('wk_browser:').toString('base64')}` },
      body: JSON.stringify({ userId: 'reader-1', traits: { email: 'reader@example.com', name: 'Reader' } }),
    });
    expect(known.status).toBe(200);
    await waitAt('/everything', (e) => e.userId === 'reader-1', 'the reader’s identify');
    const page = await open(`${base}/privacy/request`);
    await page.focus('#email');
    await page.keyboard.type('reader@example.com');
    await page.click('input[value="portability"]');
    await Promise.all([page.waitForNavigation(), page.click('button[type="submit"]')]);
    const answer = await page.$eval('main', (main) => main.textContent);
    expect(answer).toContain('Check your inbox');

    const mail = await waitAt('/mail', (e) => e.traits?.email === 'reader@example.com', 'the verification mail');
    expect(mail).toMatchObject({ event: 'Privacy Request Verification', properties: { request_type: 'portability', site_name: 'Lamp Shop' } });
    await page.goto(mail.properties.verification_url);
    await Promise.all([page.waitForNavigation(), page.click('button[type="submit"]')]);
    expect(page.url()).toMatch(/\/privacy\/request\/status\/[A-Za-z0-9_-]{43}$/);
    const status = page.url();
    await until(async () => {
      await page.goto(status);
      return (await page.$('a[download]')) !== null;
    }, 'the export to be ready');
    // The capability link is all it takes to download (the page's policy lets it fetch nothing, so fetched from here).
    const exportUrl = await page.$eval('a[download]', (link) => (link as HTMLAnchorElement).href);
    const exported = await fetch(exportUrl);
    expect(exported.headers.get('content-disposition')).toContain('attachment');
    const lines = (await exported.text())
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines).toContainEqual(
      expect.objectContaining({ kind: 'identity', identifiers: expect.arrayContaining([{ type: 'email', value: 'reader@example.com' }]) }),
    );
    // The link was used once; following it again says so.
    const again = await page.goto(mail.properties.verification_url);
    expect(again?.status()).toBe(410);
    expect(await page.$eval('main', (main) => main.textContent)).toContain('expired or was already used');

    // An address nobody knows: the same page, and a link all the same.
    await page.goto(`${base}/privacy/request`);
    await page.focus('#email');
    await page.keyboard.type('stranger@example.com');
    await Promise.all([page.waitForNavigation(), page.click('button[type="submit"]')]);
    expect(await page.$eval('main', (main) => main.textContent)).toBe(answer);
    await waitAt('/mail', (e) => e.traits?.email === 'stranger@example.com', 'the mail to an unknown address');
    await page.close();
  }, 90_000);

  it('the request page refuses a flood from one address with 429', async () => {
    const page = await open(`${base}/privacy/request`);
    const statuses: number[] = [];
    for (let i = 0; i < 8; i += 1) {
      await page.goto(`${base}/privacy/request`);
      await page.focus('#email');
      await page.keyboard.type(`flood-${i}@example.com`);
      const [response] = await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
      statuses.push(response!.status());
    }
    expect(statuses).toContain(429);
    expect(await page.$eval('main', (main) => main.textContent)).toMatch(/more than 6 requests/);
    expect(statuses.slice(statuses.indexOf(429)).every((s) => s === 429)).toBe(true);
    await page.close();
  }, 90_000);
});
