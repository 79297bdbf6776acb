import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser } from 'puppeteer-core';

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--headless=new',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** Debian's headless Chromium (installed by `.ci/run` when missing) with a profile of its own; `close()` removes it. */
export async function launchChromium(): Promise<{ browser: Browser; close: () => Promise<void> }> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'switchyard-chromium-'));
  const browser = await puppeteer.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS, userDataDir });
  return {
    browser,
    close: async () => {
      await browser.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** What another origin serves: a path's HTML page, or a local file (an SDK's browser bundle) as JavaScript. */
export interface OriginContent {
  pages?: Record<string, string>;
  scripts?: Record<string, string>;
}

/**
 * A site on another loopback port, so another origin: the browser applies CORS and preflights to its calls to the
 * router exactly as it would in production. Unknown paths get an empty page.
 */
export async function startOtherOrigin(content: OriginContent = {}): Promise<{ url: string; origin: string; close: () => Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const script = content.scripts?.[path];
    if (script) return res.writeHead(200, { 'content-type': 'text/javascript' }).end(readFileSync(script));
    const page = content.pages?.[path] ?? '<!doctype html><title>elsewhere</title>';
    return res.writeHead(200, { 'content-type': 'text/html' }).end(page);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `${origin}/`,
    origin,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
