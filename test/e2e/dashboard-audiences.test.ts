import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'puppeteer-core';
import { launchChromium } from '../helpers/chromium.js';
import { mailchimpConnection, mailchimpSegment } from '../helpers/mailchimp-segment.js';
import { RecordingSink } from '../helpers/recording-sink.js';
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

describe('the Audiences view of the dashboard, in headless Chromium', () => {
  /** While set, the receiver holds its answers until it is resolved. */
  let hold: Promise<void> | undefined;
  const receiver = new RecordingSink(async (r) => {
    await hold;
    const members = (r.body?.members ?? []) as Array<{ identifiers: Record<string, string> }>;
    const errors = members.flatMap((m, index) => (m.identifiers.email === REFUSED_EMAIL ? [{ index, status: 422, message: 'unknown contact' }] : []));
    return { status: 200, body: errors.length ? { errors } : { ok: true } };
  });
  const { segment, api: mailchimp } = mailchimpSegment(['stranger@example.com']);
  let router: Awaited<ReturnType<typeof startRouter>>;
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  let browser: Browser;
  let base: string;
  const consoleErrors: string[] = [];

  /** The config, with or without the syncs of `pro` (to the webhook `crm`) and `trial` (mirrored to the Mailchimp `mc`). */
  const configWith = (synced: boolean) => ({
    admin: { tokens: [TOKEN] },
    sources: [{ id: 'web', type: 'segment' as const, writeKey: 'wk_dash_aud' }],
    connections: [
      {
        id: 'crm',
        connector: 'webhook',
        settings: { url: `${receiver.url}/crm` },
        delivery: { retry: { maxAttempts: 1 }, breaker: { volumeThreshold: 1000 } },
      },
      mailchimpConnection('mc', mailchimp.url),
    ],
    audiences: [
      { key: 'pro', name: 'Pro plan', rule: { field: 'traits.plan', equals: 'pro' }, syncs: synced ? [{ connection: 'crm' }] : [] },
      {
        key: 'trial',
        rule: { field: 'traits.plan', equals: 'trial' },
        syncs: synced ? [{ connection: 'mc', mode: 'mirror' as const, every: '1h', settings: { segmentId: '9001' } }] : [],
      },
    ],
  });

  const identify = async (userId: string, email: string, plan: string) => {
    const response = await fetch(`${base}/v1/identify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from('wk_dash_aud:').toString('base64')}` },
      body: JSON.stringify({ userId, traits: { email, plan } }),
    });
    expect(response.status).toBe(200);
  };

  const audienceCalls = () => receiver.requests.filter((r) => r.body?.type === 'audience' && r.body.audience?.key === 'pro');

  beforeAll(async () => {
    await Promise.all([receiver.start(), mailchimp.start()]);
    router = await startRouter(configWith(false));
    base = router.router.url;
    // Three people join `pro` before it has a sync.
    await identify('u-ada', 'ada@example.com', 'pro');
    await identify('u-bob', 'bob@example.com', 'pro');
    await identify('u-refused', REFUSED_EMAIL, 'pro');
    await identify('u-tia', 'tia@example.com', 'trial');
    chromium = await launchChromium();
    browser = chromium.browser;
  }, 60_000);

  afterAll(async () => {
    await chromium?.close();
    await router?.close();
    await Promise.all([receiver.stop(), mailchimp.stop()]);
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

  it('says so when no audience has a sync', async () => {
    const page = await openAudiences();
    expect(await waitForText(page, '[data-role="empty"]', /^No audience syncs/)).toContain('syncs in the config');
    await page.close();
  }, 60_000);

  it("shows the progress of a new sync's backfill while it runs, then its counts and error samples in the sync's runs", async () => {
    const page = await openAudiences();
    await page.waitForSelector('[data-role="empty"]');
    let release!: () => void;
    hold = new Promise((resolve) => (release = resolve));
    try {
      expect(await router.reload(configWith(true))).toMatchObject({ ok: true });
      await receiver.waitFor(() => audienceCalls().length > 0, 'the backfill reaching the receiver');
      await waitForText(page, 'tr[data-sync="pro/crm"] [data-field="state"]', 'backfilling');
      expect(await waitForText(page, 'tr[data-sync="pro/crm"] [data-field="progress"]', /^\d \/ 3$/)).toMatch(/ \/ 3$/);
      expect(await page.$eval('tr[data-sync="pro/crm"] progress', (bar) => (bar as HTMLProgressElement).max)).toBe(3);
      expect(await textOf(page, 'tr[data-sync="pro/crm"] [data-field="mode"]')).toBe('add-remove');

      await page.click('tr[data-sync="pro/crm"]');
      await page.waitForSelector('[data-role="sync"][data-sync="pro/crm"]');
      await page.waitForSelector('[data-role="runs"] tr[data-kind="backfill"][data-status="running"] progress');
      expect(await page.$eval('[data-role="sync"] [data-action="backfill"]', (button) => (button as HTMLButtonElement).disabled)).toBe(true);
      expect(await page.$('[data-role="sync"] [data-action="reconcile"]')).toBeNull();
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
    await waitForText(page, 'tr[data-sync="pro/crm"] [data-field="state"]', 'live');
    expect(await textOf(page, 'tr[data-sync="pro/crm"] [data-field="last-run"]')).toBe('backfill succeeded');
    expect(await textOf(page, 'tr[data-sync="pro/crm"] [data-field="failed"]')).toBe('1');
    expect(await page.$('tr[data-sync="pro/crm"] [data-role="progress"]')).toBeNull();
    await page.screenshot({ path: join(OUTPUT, 'dashboard-audiences.png'), fullPage: true });
    await page.close();
  }, 60_000);

  it('starts a backfill from the page after a confirmation, and its run joins the history', async () => {
    const page = await openAudiences();
    await page.waitForSelector('tr[data-sync="pro/crm"]');
    await page.click('tr[data-sync="pro/crm"]');
    await page.waitForSelector('[data-role="runs"] tr[data-kind="backfill"][data-status="succeeded"]');
    const before = await page.$$eval('[data-role="runs"] tr[data-kind="backfill"]', (rows) => rows.map((row) => row.getAttribute('data-run')));
    const calls = audienceCalls().length;
    await page.click('[data-role="sync"] [data-action="backfill"]');
    expect(await textOf(page, '[data-role="confirm"]')).toMatch(/^Backfill pro → crm again\? Members the sync has not added yet are sent\./);
    await page.click('[data-action="confirm"]');
    const outcome = await waitForText(page, '[data-role="outcome"]', /^Started backfill \S+\.$/);
    const runId = /^Started backfill (\S+)\.$/.exec(outcome)![1]!;
    expect(before).not.toContain(runId);
    const row = `[data-role="runs"] tr[data-run="${runId}"][data-status="succeeded"]`;
    await page.waitForSelector(row, { timeout: 20_000 });
    // Everyone was added by the first backfill: nobody is sent again.
    expect(await textOf(page, `${row} [data-field="processed"]`)).toBe('3');
    expect(await textOf(page, `${row} [data-field="added"]`)).toBe('0');
    expect(audienceCalls().length).toBe(calls);
    await page.close();
  }, 60_000);

  it('reconciles a mirror sync from the page: the Mailchimp segment gets back whom it lost and loses whom it should not hold', async () => {
    await mailchimp.waitFor(() => segment.has('tia@example.com'), "the trial sync's backfill adding tia to the segment");
    segment.delete('tia@example.com');
    const page = await openAudiences();
    await page.waitForSelector('tr[data-sync="trial/mc"]');
    expect(await textOf(page, 'tr[data-sync="trial/mc"] [data-field="mode"]')).toBe('mirror, every 1h');
    await page.click('tr[data-sync="trial/mc"]');
    await page.waitForSelector('[data-role="sync"][data-sync="trial/mc"] [data-action="reconcile"]');
    await page.click('[data-role="sync"] [data-action="reconcile"]');
    expect(await textOf(page, '[data-role="confirm"]')).toContain('Make mc hold exactly the members of trial');
    await page.click('[data-action="confirm"]');
    const runId = /^Started reconcile (\S+)\.$/.exec(await waitForText(page, '[data-role="outcome"]', /^Started reconcile \S+\.$/))![1]!;
    const row = `[data-role="runs"] tr[data-run="${runId}"][data-status="succeeded"]`;
    await page.waitForSelector(row, { timeout: 20_000 });
    expect(await textOf(page, `${row} [data-field="added"]`)).toBe('1');
    expect(await textOf(page, `${row} [data-field="removed"]`)).toBe('1');
    expect([...segment]).toEqual(['tia@example.com']);
    await page.close();
  }, 60_000);
});
