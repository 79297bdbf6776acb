import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, HTTPRequest, Page } from 'puppeteer-core';
import { launchChromium, startOtherOrigin } from '../helpers/chromium.js';
import { RecordingSink } from '../helpers/recording-sink.js';
import { startRouter } from '../helpers/router-process.js';

const TOKEN = 'dashboard-admin-token-0001';
const OUTPUT = fileURLToPath(new URL('../output/', import.meta.url));
/** Resolves once `done()` holds (checked every 50 ms), failing after `timeoutMs`. */
async function eventually(done: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The rows of a table as arrays of cell texts. */
const rowsOf = (page: Page, selector: string) =>
  page.$$eval(selector, (rows) => rows.map((row) => [...row.querySelectorAll('th, td')].map((cell) => (cell.textContent ?? '').trim())));

const textOf = (page: Page, selector: string) => page.$eval(selector, (element) => (element.textContent ?? '').trim());

/** Waits until the text of `selector` satisfies `expected` (a string it must equal, or a pattern). */
async function waitForText(page: Page, selector: string, expected: string | RegExp, timeout = 20_000): Promise<string> {
  const pattern = typeof expected === 'string' ? `^${expected.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$` : expected.source;
  await page.waitForFunction(
    (sel: string, source: string) => {
      const element = document.querySelector(sel);
      return element !== null && new RegExp(source).test((element.textContent ?? '').trim());
    },
    { timeout },
    selector,
    pattern,
  );
  return textOf(page, selector);
}

describe('the operator dashboard at /dashboard, in headless Chromium', () => {
  let flakyStatus = 503;
  const warehouse = new RecordingSink();
  const crm = new RecordingSink(() => ({ status: flakyStatus, body: { ok: flakyStatus === 200 } }));
  let router: Awaited<ReturnType<typeof startRouter>>;
  let other: Awaited<ReturnType<typeof startOtherOrigin>>;
  let browser: Browser;
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  let base: string;
  /** Every page's console errors (a CSP violation is one) and every URL it requested. */
  const consoleErrors: string[] = [];
  const requested: string[] = [];

  beforeAll(async () => {
    await Promise.all([warehouse.start(), crm.start()]);
    other = await startOtherOrigin();
    router = await startRouter({
      admin: { tokens: [TOKEN] },
      dsr: { gracePeriodMs: 0 },
      sources: [{ id: 'web', type: 'segment', writeKey: 'wk_dashboard' }],
      connections: [
        { id: 'warehouse', connector: 'webhook', settings: { url: `${warehouse.url}/in` } },
        {
          id: 'crm',
          connector: 'webhook',
          settings: { url: `${crm.url}/in` },
          delivery: { retry: { maxAttempts: 1 }, breaker: { volumeThreshold: 1000 } },
        },
      ],
    });
    base = router.router.url;
    chromium = await launchChromium();
    browser = chromium.browser;
  }, 60_000);

  afterAll(async () => {
    await chromium?.close();
    await router?.close();
    await Promise.all([warehouse.stop(), crm.stop(), other?.close()]);
  });

  afterEach(() => {
    expect(consoleErrors.filter((e) => /Content Security Policy/i.test(e))).toEqual([]);
  });

  async function newPage(): Promise<Page> {
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 900 });
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('request', (request) => requested.push(request.url()));
    return page;
  }

  /** Opens the dashboard with the token given in the form, as an operator would. */
  async function signIn(page: Page): Promise<void> {
    await page.goto(`${base}/dashboard/`);
    await page.waitForSelector('[data-role="token-form"] input[name="token"]');
    await page.type('[data-role="token-form"] input[name="token"]', TOKEN);
    await page.click('[data-role="token-form"] button[type="submit"]');
    await page.waitForSelector('main[data-view="overview"]');
  }

  const openTab = async (page: Page, tab: string) => {
    await page.click(`[data-tab="${tab}"]`);
    await page.waitForSelector(`main[data-view="${tab}"]`);
  };

  const send = async (batch: Array<Record<string, unknown>>) => {
    const response = await fetch(`${base}/v1/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from('wk_dashboard:').toString('base64')}` },
      body: JSON.stringify({ batch }),
    });
    expect(response.status).toBe(200);
  };

  const received = (sink: RecordingSink, messageId: string) => sink.events().filter((e) => e.messageId === messageId).length;

  it('serves the page under a strict Content-Security-Policy, refuses framing, and sends no CORS headers', async () => {
    for (const path of ['/dashboard', '/dashboard/', '/dashboard/app.js', '/dashboard/style.css']) {
      const response = await fetch(`${base}${path}`, { headers: { origin: other.url.slice(0, -1) } });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-security-policy')).toMatch(/^default-src 'self'; script-src 'self';/);
      expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(response.headers.get('content-security-policy')).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
      expect(response.headers.get('x-frame-options')).toBe('DENY');
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
    }
    const html = await (await fetch(`${base}/dashboard/`)).text();
    expect(html).toContain('<script type="module" src="/dashboard/app.js"></script>');
    expect(html).not.toMatch(/<script>|<script type="module">|https?:\/\/|style=/);
    expect((await fetch(`${base}/dashboard/../package.json`)).status).toBe(404);
    expect((await fetch(`${base}/dashboard/app.js`, { headers: { 'accept-encoding': 'br' } })).headers.get('content-encoding')).toBe('br');
  });

  it('a wrong token from the URL fragment shows the refusal, is forgotten, and leaves the address bar at once', async () => {
    const page = await newPage();
    await page.goto(`${base}/dashboard/#token=not-the-token`);
    const refusal = await waitForText(page, '[data-role="refusal"]', /refused the admin token/);
    expect(refusal).toContain('HTTP 403');
    expect(refusal).toContain('admin.tokens');
    expect(page.url()).toBe(`${base}/dashboard/`);
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    await page.close();
  });

  it("shows each connection's delivered count as its destination received it, and each source's counts", async () => {
    const page = await newPage();
    await signIn(page);
    await send(Array.from({ length: 5 }, (_, i) => ({ type: 'track', event: 'Order Completed', userId: `u-${i}`, messageId: `ok-${i}` })));
    await warehouse.waitFor(() => warehouse.events().length >= 5, 'five events at the warehouse sink');
    const delivered = await waitForText(page, '[data-connection="warehouse"] [data-field="delivered"]', String(warehouse.events().length));
    expect(Number(delivered)).toBe(warehouse.events().length);
    await waitForText(page, '[data-connection="crm"] [data-field="deadLettered"]', '5');
    expect(await textOf(page, '[data-connection="crm"] [data-field="error-rate"]')).toMatch(/^(100%|—)$/);
    expect(await textOf(page, '[data-connection="warehouse"] [data-field="breaker"]')).toBe('closed');
    // The throughput history samples every 5 s: the source row follows within one interval.
    await waitForText(page, '[data-source="web"] [data-field="received"]', '5', 15_000);
    expect(await textOf(page, '[data-source="web"] [data-field="accepted"]')).toBe('5');
    expect(await page.$$eval('.chart canvas', (canvases) => canvases.length)).toBeGreaterThanOrEqual(2);
    mkdirSync(OUTPUT, { recursive: true });
    await page.screenshot({ path: join(OUTPUT, 'dashboard.png'), fullPage: true });
    expect(await page.evaluate(() => sessionStorage.getItem('switchyard.adminToken'))).toBe(TOKEN);
    expect(requested.filter((url) => url.includes(TOKEN))).toEqual([]);
    await page.close();
  }, 60_000);

  it('lists the dead letters of a failing destination, inspects one, and a replay from the page delivers them once it recovers', async () => {
    await send([
      { type: 'track', event: 'Dead One', userId: 'u-dl', messageId: 'dl-1', properties: { note: 'first' } },
      { type: 'track', event: 'Dead Two', userId: 'u-dl', messageId: 'dl-2' },
    ]);
    const page = await newPage();
    await page.goto(`${base}/dashboard/#token=${TOKEN}`);
    expect(page.url()).toBe(`${base}/dashboard/`);
    await openTab(page, 'dead-letters');
    await page.select('select[name="connection"]', 'crm');
    await page.waitForSelector('tr[data-message-id="dl-1"]');
    await page.waitForSelector('tr[data-message-id="dl-2"]');
    expect((await rowsOf(page, 'tr[data-message-id="dl-1"]'))[0]).toEqual(expect.arrayContaining(['crm', 'track Dead One', 'dl-1', 'HTTP_503']));

    await page.click('tr[data-message-id="dl-1"]');
    await page.waitForSelector('[data-role="dead-letter"]');
    expect(await textOf(page, '[data-role="dead-letter"] [data-field="error"]')).toContain('HTTP 503');
    expect(JSON.parse(await textOf(page, '[data-role="dead-letter"] [data-field="body"]'))).toMatchObject({
      messageId: 'dl-1',
      event: 'Dead One',
      properties: { note: 'first' },
    });

    flakyStatus = 200;
    await page.click('[data-action="replay"]');
    expect(await textOf(page, '[data-role="confirm"]')).toContain('every dead letter of crm');
    await page.click('[data-action="confirm"]');
    expect(await waitForText(page, '[data-role="outcome"]', /^Replayed \d+/)).toMatch(/^Replayed 7, dropped 0/);
    await crm.waitFor(() => received(crm, 'dl-1') > 0 && received(crm, 'dl-2') > 0, 'the replayed events at the recovered destination');
    await waitForText(page, '[data-role="empty"]', 'No dead letters for crm.');
    await page.close();
  }, 60_000);

  it('traces a messageId: the connections it was queued for and every attempt', async () => {
    const page = await newPage();
    await signIn(page);
    await openTab(page, 'trace');
    await page.type('input[name="messageId"]', 'dl-1');
    await page.click('[data-role="trace-form"] button[type="submit"]');
    await page.waitForSelector('[data-role="trace"][data-message-id="dl-1"]');
    const steps = await page.$$eval('[data-role="trace"] tbody tr', (rows) =>
      rows.map((row) => `${row.getAttribute('data-stage')} ${row.getAttribute('data-connection')} ${row.getAttribute('data-outcome')}`),
    );
    expect(steps).toEqual(
      expect.arrayContaining([
        'routing warehouse queued',
        'routing crm queued',
        'delivery warehouse delivered',
        'delivery crm dead_lettered',
        'delivery crm delivered',
      ]),
    );
    expect(await textOf(page, '[data-role="trace"] p')).toContain('from source web');

    await page.$eval('input[name="messageId"]', (input) => ((input as HTMLInputElement).value = ''));
    await page.type('input[name="messageId"]', 'never-sent');
    await page.click('[data-role="trace-form"] button[type="submit"]');
    await waitForText(page, '[data-role="error"]', /no trace of never-sent/);
    await page.close();
  }, 60_000);

  it('adds a suppression, lists it, and removes it after a confirmation', async () => {
    const page = await newPage();
    await signIn(page);
    await openTab(page, 'suppressions');
    await waitForText(page, '[data-role="total"]', '0 suppressions.');
    await page.$eval('input[name="identity_type"]', (input) => ((input as HTMLInputElement).value = ''));
    await page.type('input[name="identity_type"]', 'email');
    await page.type('input[name="identity_value"]', 'gone@example.com');
    await page.type('input[name="reason"]', 'asked by mail');
    await page.click('[data-role="suppression-form"] button[type="submit"]');
    await page.waitForSelector('tr[data-value="gone@example.com"]');
    expect((await rowsOf(page, 'tr[data-value="gone@example.com"]'))[0]).toEqual(expect.arrayContaining(['email', 'gone@example.com', 'asked by mail']));
    const listed = await (await fetch(`${base}/admin/v1/suppressions`, { headers: { authorization: `Bearer ${TOKEN}` } })).json();
    expect(listed.suppressions).toEqual([expect.objectContaining({ identity_type: 'email', identity_value: 'gone@example.com' })]);

    await page.$eval('input[name="identity_type"]', (input) => ((input as HTMLInputElement).value = ''));
    await page.type('input[name="identity_type"]', 'shoe_size');
    await page.type('input[name="identity_value"]', '42');
    await page.click('[data-role="suppression-form"] button[type="submit"]');
    await waitForText(page, '[data-role="error"]', /identity_type/);

    await page.click('tr[data-value="gone@example.com"] [data-action="remove"]');
    await page.click('tr[data-value="gone@example.com"] [data-action="confirm"]');
    await waitForText(page, '[data-role="total"]', '0 suppressions.');
    await page.close();
  }, 60_000);

  it('looks up a data-subject request: its status and what each connection did', async () => {
    const id = '4a1f8f3c-2b7e-4d51-9c0e-6a2d8e1b7c90';
    const submitted = await fetch(`${base}/opendsr/v1/requests`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({
        regulation: 'gdpr',
        subject_request_id: id,
        subject_request_type: 'erasure',
        submitted_time: new Date().toISOString(),
        api_version: '1.0',
        subject_identities: [{ identity_type: 'email', identity_value: 'erase@example.com', identity_format: 'raw' }],
      }),
    });
    expect(submitted.status).toBe(201);
    const page = await newPage();
    await signIn(page);
    await openTab(page, 'dsr');
    await page.type('input[name="requestId"]', id);
    await page.click('[data-role="dsr-form"] button[type="submit"]');
    await page.waitForSelector('[data-role="dsr-status"]');
    // The request may still be running when first looked up; Refresh follows it to completed.
    await page.waitForFunction(
      () => {
        const status = document.querySelector('[data-role="dsr-status"]')?.getAttribute('data-status');
        if (status !== 'completed') (document.querySelector('[data-role="dsr-form"] button[type="button"]') as HTMLButtonElement | null)?.click();
        return status === 'completed';
      },
      { timeout: 20_000, polling: 500 },
    );
    expect(await textOf(page, '[data-role="dsr-status"] p')).toContain(`Request ${id} is completed`);
    const connections = await page.$$eval('[data-role="dsr-connections"] tbody tr', (rows) =>
      rows.map((row) => `${row.getAttribute('data-connection')} ${row.getAttribute('data-status')}`).sort(),
    );
    expect(connections).toEqual(['crm skipped', 'warehouse skipped']);
    await page.close();
  }, 60_000);

  it('looks up the profile behind an identifier', async () => {
    const page = await newPage();
    await signIn(page);
    await openTab(page, 'profiles');
    await page.$eval('input[name="identity_type"]', (input) => ((input as HTMLInputElement).value = ''));
    await page.type('input[name="identity_type"]', 'user_id');
    await page.type('input[name="identity_value"]', 'u-1');
    await page.click('[data-role="profile-form"] button[type="submit"]');
    await page.waitForSelector('[data-role="profile"]');
    const identifiers = await page.$$eval('[data-role="profile"] tbody tr', (rows) => rows.map((row) => row.getAttribute('data-identifier')));
    expect(identifiers).toContain('user_id');
    expect(await textOf(page, '[data-role="profile"] tbody tr[data-identifier="user_id"]')).toContain('u-1');

    await page.$eval('input[name="identity_value"]', (input) => ((input as HTMLInputElement).value = ''));
    await page.type('input[name="identity_value"]', 'nobody-here');
    await page.click('[data-role="profile-form"] button[type="submit"]');
    await waitForText(page, '[data-role="empty"]', 'No profile has user_id nobody-here.');
    await page.close();
  }, 60_000);

  it("follows the router's live stream: an event sent now, and its attempt with the request the destination got", async () => {
    const page = await newPage();
    await signIn(page);
    await openTab(page, 'live');
    await page.waitForSelector('[data-role="stream-status"][data-state="open"]');
    await send([{ type: 'track', userId: 'u-live-real', event: 'Live Check', messageId: 'live-real-1', properties: { email: 'ada@example.com' } }]);
    await page.waitForSelector('tr[data-entry="inbound"][data-message-id="live-real-1"]');
    await page.waitForSelector('tr[data-entry="attempt"][data-connection="warehouse"]');
    await page.click('tr[data-entry="attempt"][data-connection="warehouse"]');
    await page.waitForSelector('[data-role="exchange"] summary');
    expect(await textOf(page, '[data-role="exchange"] summary')).toMatch(new RegExp(`^POST ${warehouse.url}/in → 200 in \\d+ ms$`));
    // The panel asks for masked personal data by default: the e-mail address never reaches the page.
    expect(await page.content()).not.toContain('ada@example.com');
    await page.close();
  }, 60_000);

  describe('the live stream panel (the endpoint answered here by request interception, to the contract)', () => {
    const HELLO = { sources: ['web', 'app'], connections: ['warehouse', 'crm'] };
    const INBOUND = {
      at: '2026-12-01T10:00:00.000Z',
      source: 'web',
      messageId: 'live-1',
      type: 'track',
      event: 'Order Completed',
      body: { messageId: 'live-1', type: 'track', event: 'Order Completed', userId: 'u-live' },
    };
    const ATTEMPT = {
      at: '2026-12-01T10:00:01.000Z',
      connection: 'crm',
      items: [{ messageId: 'live-1', outcome: 'dead_lettered', code: 'HTTP_503', httpStatus: 503, message: 'Service Unavailable' }],
      exchanges: [
        {
          method: 'POST',
          url: 'https://crm.example/in',
          status: 503,
          durationMs: 12,
          request: { headers: { 'content-type': 'application/json' }, body: { messageId: 'live-1' } },
          response: { headers: {}, body: { ok: false } },
        },
      ],
    };
    const stream = ['event: hello', `data: ${JSON.stringify(HELLO)}`, '', ': keep-alive', '', 'event: inbound', `data: ${JSON.stringify(INBOUND)}`, '']
      .concat(['event: attempt', `data: ${JSON.stringify(ATTEMPT)}`, '', ''])
      .join('\n');

    /** Intercepts /admin/v1/live: each new query is answered once (404 or the stream); a reconnection with the same query is left waiting. */
    async function interceptLive(page: Page, answer: 'stream' | 404): Promise<HTTPRequest[]> {
      const seen: HTTPRequest[] = [];
      await page.setRequestInterception(true);
      page.on('request', (request) => {
        if (!request.url().startsWith(`${base}/admin/v1/live`)) return void request.continue();
        const repeated = seen.some((r) => r.url() === request.url());
        seen.push(request);
        if (repeated) return;
        if (answer === 404) return void request.respond({ status: 404, contentType: 'application/json', body: '{"success":false,"code":"NOT_FOUND"}' });
        return void request.respond({ status: 200, contentType: 'text/event-stream', body: stream });
      });
      return seen;
    }

    it('says the live stream is unavailable when the router has no endpoint', async () => {
      const page = await newPage();
      await interceptLive(page, 404);
      await signIn(page);
      await openTab(page, 'live');
      expect(await waitForText(page, '[data-role="stream-status"][data-state="unavailable"]', /Live stream unavailable/)).toContain('404');
      await page.close();
    }, 60_000);

    it('reads the stream with the token in a header, shows inbound events and attempts, opens an attempt, and filters', async () => {
      const page = await newPage();
      const seen = await interceptLive(page, 'stream');
      await signIn(page);
      await openTab(page, 'live');
      await page.waitForSelector('tr[data-entry="attempt"]');
      const rows = await rowsOf(page, '[data-role="live-entries"] tbody tr');
      expect(rows).toEqual([
        ['11:00:01', 'attempt', 'crm', 'dead_lettered 1 (HTTP_503)', '1 item'].map((cell, i) => (i === 0 ? expect.any(String) : cell)),
        ['11:00:00', 'inbound', 'web', 'track Order Completed', 'live-1'].map((cell, i) => (i === 0 ? expect.any(String) : cell)),
      ]);
      const first = seen[0]!;
      expect(first.headers().authorization).toBe(`Bearer ${TOKEN}`);
      expect(new URL(first.url()).searchParams.get('kind')).toBe('inbound,attempt');
      expect(new URL(first.url()).searchParams.get('mask')).toBe('pii');
      expect(first.url()).not.toContain(TOKEN);

      await page.click('tr[data-entry="attempt"]');
      await page.waitForSelector('[data-role="exchanges"]');
      expect(await textOf(page, '[data-role="exchange"] summary')).toBe('POST https://crm.example/in → 503 in 12 ms');
      expect(await textOf(page, '[data-role="exchanges"] tr[data-message-id="live-1"]')).toContain('Service Unavailable');

      const lastQuery = () => new URL(seen[seen.length - 1]!.url()).searchParams;
      await page.click('fieldset[data-filter="sources"] input[value="web"]');
      await eventually(() => lastQuery().get('source') === 'web', 'a request filtered to source web');
      expect(lastQuery().get('mask')).toBe('pii');
      await page.waitForSelector('tr[data-entry="inbound"]');
      await page.click('input[name="mask"]');
      await eventually(() => lastQuery().get('source') === 'web' && !lastQuery().has('mask'), 'a request without the PII mask');
      await page.waitForSelector('tr[data-entry="inbound"]');

      await page.click('[data-action="pause"]');
      expect(await textOf(page, '[data-role="stream-status"]')).toContain('Paused');
      await page.close();
    }, 60_000);
  });

  it('refuses a page on another loopback origin that tries to read the admin API', async () => {
    const page = await newPage();
    await page.goto(other.url);
    const outcome = await page.evaluate(
      async (target: string, token: string) => {
        const attempt = (init: RequestInit) =>
          fetch(target, init).then(
            async (r) => `read ${r.status}: ${(await r.text()).slice(0, 80)}`,
            (error: Error) => `refused: ${error.name}`,
          );
        return {
          withToken: await attempt({ headers: { authorization: `Bearer ${token}` } }),
          simple: await attempt({}),
        };
      },
      `${base}/admin/v1/connections`,
      TOKEN,
    );
    expect(outcome).toEqual({ withToken: 'refused: TypeError', simple: 'refused: TypeError' });
    // The browser's CORS refusals are console errors of that page; they are expected here, and not CSP ones.
    consoleErrors.splice(0);
    await page.close();
  }, 60_000);
});
