import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'puppeteer-core';
import { launchChromium } from '../helpers/chromium.js';
import { RecordingSink, type RecordedRequest } from '../helpers/recording-sink.js';
import { startRouter } from '../helpers/router-process.js';

const TOKEN = 'dashboard-audiences-token-0001';
const OUTPUT = fileURLToPath(new URL('../output/', import.meta.url));
const REFUSED_EMAIL = 'refused@example.com';

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

const membersOf = (r: RecordedRequest): Array<{ action: string; email?: string }> =>
  r.body?.type === 'audience'
    ? (r.body.members as Array<{ identifiers: Record<string, string> }>).map((m) => ({ action: r.body.action, email: m.identifiers.email }))
    : [];

describe('the Audiences view of the dashboard, in headless Chromium', () => {
  /** While set, the receiver holds its answers until it is resolved. */
  let hold: Promise<void> | undefined;
  const receiver = new RecordingSink(async (r) => {
    await hold;
    const members = (r.body?.members ?? []) as Array<{ identifiers: Record<string, string> }>;
    const errors = members.flatMap((m, index) => (m.identifiers.email === REFUSED_EMAIL ? [{ index, status: 422, message: 'unknown contact' }] : []));
    return { status: 200, body: errors.length ? { errors } : { ok: true } };
  });
  let router: Awaited<ReturnType<typeof startRouter>>;
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  let browser: Browser;
  let base: string;
  const consoleErrors: string[] = [];

  const identify = async (userId: string, email: string, plan: string) => {
    const response = await fetch(`${base}/v1/identify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from('wk_dash_aud:').toString('base64')}` },
      body: JSON.stringify({ userId, traits: { email, plan } }),
    });
    expect(response.status).toBe(200);
  };

  beforeAll(async () => {
    await receiver.start();
    router = await startRouter({
      admin: { tokens: [TOKEN] },
      sources: [{ id: 'web', type: 'segment', writeKey: 'wk_dash_aud' }],
      connections: [
        {
          id: 'crm',
          connector: 'webhook',
          settings: { url: `${receiver.url}/crm` },
          delivery: { retry: { maxAttempts: 1 }, breaker: { volumeThreshold: 1000 } },
        },
      ],
      audiences: [{ key: 'pro', name: 'Pro plan', rule: { field: 'traits.plan', equals: 'pro' }, syncs: [{ connection: 'crm' }] }],
    });
    base = router.router.url;
    await identify('u-ada', 'ada@example.com', 'pro');
    await identify('u-bob', 'bob@example.com', 'pro');
    await identify('u-refused', REFUSED_EMAIL, 'pro');
    await receiver.waitFor(() => receiver.requests.flatMap(membersOf).length >= 3, 'the three people added by the live sync');
    chromium = await launchChromium();
    browser = chromium.browser;
  }, 60_000);

  afterAll(async () => {
    await chromium?.close();
    await router?.close();
    await receiver.stop();
  });

  afterEach(() => {
    expect(consoleErrors.filter((e) => /Content Security Policy/i.test(e))).toEqual([]);
  });

  async function openAudiences(): Promise<Page> {
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 900 });
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    await page.goto(`${base}/dashboard/#token=${TOKEN}`);
    await page.click('[data-tab="audiences"]');
    await page.waitForSelector('main[data-view="audiences"]');
    return page;
  }

  it('lists each sync with its mode, state and members', async () => {
    const page = await openAudiences();
    await waitForText(page, '[data-sync="pro/crm"] [data-field="members"]', '3');
    expect(await textOf(page, '[data-sync="pro/crm"] [data-field="mode"]')).toBe('add-remove');
    expect(await textOf(page, '[data-sync="pro/crm"] [data-field="state"]')).toBe('live');
    expect(await page.$('[data-sync="pro/crm"] [data-role="progress"]')).toBeNull();
    await page.close();
  }, 60_000);

  it("shows a running backfill's progress bar, then its counts and error samples in the sync's runs", async () => {
    const page = await openAudiences();
    await page.waitForSelector('tr[data-sync="pro/crm"]');
    await page.click('tr[data-sync="pro/crm"]');
    await page.waitForSelector('[data-role="sync"][data-sync="pro/crm"]');
    expect(await page.$('[data-role="sync"] [data-action="reconcile"]')).toBeNull();

    let release!: () => void;
    hold = new Promise((resolve) => (release = resolve));
    try {
      await page.click('[data-role="sync"] [data-action="backfill"]');
      expect(await textOf(page, '[data-role="confirm"]')).toContain('Send the 3 members of pro to crm again?');
      await page.click('[data-action="confirm"]');
      await waitForText(page, '[data-role="outcome"]', /^Started backfill \S+\.$/);
      await waitForText(page, '[data-sync="pro/crm"] [data-field="state"]', 'backfilling');
      const progress = await waitForText(page, 'tr[data-sync="pro/crm"] [data-field="progress"]', /^\d \/ 3$/);
      expect(Number(progress[0])).toBeLessThan(3);
      expect(await page.$eval('tr[data-sync="pro/crm"] progress', (bar) => (bar as HTMLProgressElement).max)).toBe(3);
      await page.waitForSelector('[data-role="runs"] tr[data-kind="backfill"][data-status="running"] progress');
      expect(await page.$eval('[data-role="sync"] [data-action="backfill"]', (button) => (button as HTMLButtonElement).disabled)).toBe(true);
      mkdirSync(OUTPUT, { recursive: true });
      await page.screenshot({ path: join(OUTPUT, 'dashboard-audiences-running.png'), fullPage: true });
    } finally {
      release();
      hold = undefined;
    }

    const finished = '[data-role="runs"] tr[data-kind="backfill"][data-status="succeeded"]';
    await page.waitForSelector(finished, { timeout: 20_000 });
    expect(await textOf(page, `${finished} [data-field="processed"]`)).toBe('3');
    expect(await textOf(page, `${finished} [data-field="added"]`)).toBe('2');
    expect(await textOf(page, `${finished} [data-field="failed"]`)).toBe('1');
    const runId = await page.$eval(finished, (row) => row.getAttribute('data-run'));
    expect(await textOf(page, `[data-errors-of="${runId}"] [data-role="error-sample"]`)).toContain('unknown contact');
    await waitForText(page, '[data-sync="pro/crm"] [data-field="state"]', 'live');
    expect(await textOf(page, 'tr[data-sync="pro/crm"] [data-field="last-run"]')).toBe('backfill succeeded');
    expect(await page.$('tr[data-sync="pro/crm"] [data-role="progress"]')).toBeNull();
    await page.screenshot({ path: join(OUTPUT, 'dashboard-audiences.png'), fullPage: true });
    await page.close();
  }, 60_000);
});
