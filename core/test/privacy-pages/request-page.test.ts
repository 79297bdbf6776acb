import Database from 'better-sqlite3';
import { join } from 'node:path';
import { HttpSink } from '../helpers/http-sink.js';
import { RouterFixture } from '../helpers/router.js';

/** Every event the sink received, from single bodies and batches. */
function eventsOf(sink: HttpSink): any[] {
  return sink.requests.flatMap((r) => {
    const body = r.body as { batch?: unknown[] };
    return Array.isArray(body?.batch) ? body.batch : [body];
  });
}

/** Resolves once `predicate` holds, re-checked every few milliseconds; rejects after ten seconds. */
async function until<T>(read: () => Promise<T | undefined> | T | undefined, what: string): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('the data-subject request page (/privacy/request)', () => {
  let mail: HttpSink;
  let hook: HttpSink;
  let fixture: RouterFixture;

  const start = async (requests: Record<string, unknown> = {}) => {
    fixture = await new RouterFixture({
      dsr: { gracePeriodMs: 0 },
      privacyPages: { requests: { emailConnection: 'mail', siteName: 'Lamp Shop', ...requests } },
      sources: [{ id: 'web', type: 'segment', writeKey: 'wk_web' }],
      connections: [
        { id: 'mail', connector: 'webhook', settings: { url: `${mail.url}/mail` } },
        { id: 'hook', connector: 'webhook', settings: { url: `${hook.url}/hook` } },
      ],
    }).start();
  };
  const submit = (body: unknown, headers: Record<string, string> = {}) => fixture.send('/privacy/request', body, { headers });
  const mailTo = (address: string) => until(() => eventsOf(mail).find((e) => e.traits?.email === address), `the mail to ${address}`);
  const tokenOf = (message: any) => new URL(message.properties.verification_url).searchParams.get('token')!;

  beforeEach(async () => {
    mail = await new HttpSink().start();
    hook = await new HttpSink().start();
  });
  afterEach(async () => {
    await fixture?.close();
    await Promise.all([mail.stop(), hook.stop()]);
  });

  it('verifies the address by a one-time link, turns the request into an OpenDSR request, and serves its status and export', async () => {
    await start();
    await fixture.send('/v1/identify', { userId: 'u-1', traits: { email: 'ada@example.com', plan: 'pro' } }, { auth: 'wk_web:' });
    await hook.waitFor(() => eventsOf(hook).some((e) => e.userId === 'u-1'));

    const page = await fetch(`${fixture.url}/privacy/request`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(await page.text()).toContain('<form method="post" action="/privacy/request">');

    const submitted = await submit({ email: ' Ada@Example.com ', type: 'access' });
    expect(submitted.status).toBe(202);
    const message = await mailTo('ada@example.com');
    expect(message).toMatchObject({ type: 'track', event: 'Privacy Request Verification', properties: { request_type: 'access', site_name: 'Lamp Shop' } });
    // The mail goes to the email connection only, never through the regular fan-out.
    expect(eventsOf(hook).some((e) => e.event === 'Privacy Request Verification')).toBe(false);
    const token = tokenOf(message);

    // Opening the link shows a confirmation; it does not use the token.
    const shown = await fetch(message.properties.verification_url);
    expect(shown.status).toBe(200);
    expect(await shown.text()).toContain('Confirm my request');

    const confirmed = await fixture.send('/privacy/request/confirm', { token });
    expect(confirmed.status).toBe(201);
    const statusUrl: string = confirmed.json.statusUrl;
    expect(statusUrl).toMatch(/\/privacy\/request\/status\/[A-Za-z0-9_-]{43}$/);
    // Used once: the same link again is refused, as a made-up one is.
    expect((await fixture.send('/privacy/request/confirm', { token })).status).toBe(410);
    expect((await fixture.send('/privacy/request/confirm', { token: 'x'.repeat(43) })).status).toBe(410);

    const done = await until(async () => {
      const status = await fetch(statusUrl, { headers: { accept: 'application/json' } }).then((r) => r.json());
      return status.status === 'completed' ? status : undefined;
    }, 'the request to complete');
    expect(done).toMatchObject({ success: true, kind: 'access', exportUrl: `${statusUrl}/export` });
    const exported = await fetch(done.exportUrl);
    expect(exported.status).toBe(200);
    expect(exported.headers.get('content-type')).toContain('application/x-ndjson');
    const lines = (await exported.text())
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines).toContainEqual(
      expect.objectContaining({ kind: 'identity', identifiers: expect.arrayContaining([{ type: 'email', value: 'ada@example.com' }]) }),
    );

    const html = await fetch(statusUrl, { headers: { accept: 'text/html' } }).then((r) => r.text());
    expect(html).toContain('Download your data');
    expect((await fetch(`${fixture.url}/privacy/request/status/${'y'.repeat(43)}`, { headers: { accept: 'application/json' } })).status).toBe(404);
  });

  it('answers an unknown address exactly as a known one, and sends the link either way', async () => {
    await start({ requestsPerWindow: 20 });
    await fixture.send('/v1/identify', { userId: 'u-2', traits: { email: 'known@example.com' } }, { auth: 'wk_web:' });
    await hook.waitFor(() => eventsOf(hook).some((e) => e.userId === 'u-2'));
    for (let round = 0; round < 3; round += 1) {
      const known = await submit({ email: 'known@example.com', type: 'erasure' });
      const unknown = await submit({ email: `nobody-${round}@example.com`, type: 'erasure' });
      expect(unknown.status).toBe(known.status);
      expect(unknown.text).toBe(known.text);
      expect([...unknown.headers.keys()].filter((h) => h !== 'date' && h !== 'content-length')).toEqual(
        [...known.headers.keys()].filter((h) => h !== 'date' && h !== 'content-length'),
      );
      await mailTo(`nobody-${round}@example.com`);
    }
  });

  it('never builds the mail link from a forged Host header: without server.publicUrl only a loopback Host is taken', async () => {
    await start();
    const { request } = await import('node:http');
    const forged = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const url = new URL(`${fixture.url}/privacy/request`);
      const req = request(
        { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { host: 'attacker.example', 'content-type': 'application/json' } },
        (res) => {
          let body = '';
          res.on('data', (chunk) => (body += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify({ email: 'victim@example.com', type: 'portability' }));
    });
    expect(forged.status).toBe(503);
    expect(JSON.parse(forged.body).code).toBe('PUBLIC_URL_REQUIRED');
    await submit({ email: 'after@example.com', type: 'access' });
    await mailTo('after@example.com');
    expect(eventsOf(mail).some((e) => e.traits?.email === 'victim@example.com')).toBe(false);
  });

  it('still mails the link to a person who was erased and suppressed, so the answer tells nothing', async () => {
    await start({ requestsPerWindow: 20 });
    await submit({ email: 'gone@example.com', type: 'erasure' });
    const first = await mailTo('gone@example.com');
    const confirmed = await fixture.send('/privacy/request/confirm', { token: tokenOf(first) });
    expect(confirmed.status).toBe(201);
    await until(async () => {
      const status = await fetch(confirmed.json.statusUrl, { headers: { accept: 'application/json' } }).then((r) => r.json());
      return status.status === 'completed' ? status : undefined;
    }, 'the erasure to complete');
    const again = await submit({ email: 'gone@example.com', type: 'access' });
    expect(again.status).toBe(202);
    await until(() => (eventsOf(mail).filter((e) => e.traits?.email === 'gone@example.com').length === 2 ? true : undefined), 'the second mail');
  });

  it('files a correction as an OpenDSR access request that carries the person’s words', async () => {
    await start();
    await submit({ email: 'fix@example.com', type: 'rectification', details: 'My name is Ada, not Ida' });
    const message = await mailTo('fix@example.com');
    const confirmed = await fixture.send('/privacy/request/confirm', { token: tokenOf(message) });
    const status = await fetch(confirmed.json.statusUrl, { headers: { accept: 'application/json' } }).then((r) => r.json());
    expect(status).toMatchObject({ kind: 'rectification', requestId: expect.any(String) });
    const record = (await fixture.router.dsr.store.get(status.requestId))!;
    expect(record.request).toMatchObject({
      regulation: 'gdpr',
      subject_request_type: 'access',
      subject_identities: [{ identity_type: 'email', identity_value: 'fix@example.com', identity_format: 'raw' }],
      extensions: { 'switchyard.localhost': { submitted_via: 'privacy-request-page', requested: 'rectification', correction: 'My name is Ada, not Ida' } },
    });
  });

  it('keeps only hashes of its tokens, so a copy of the database holds no working link', async () => {
    await start();
    await submit({ email: 'grace@example.com', type: 'portability' });
    const token = tokenOf(await mailTo('grace@example.com'));
    const db = new Database(join(fixture.router.config.storageDir, 'privacy-pages.db'), { readonly: true });
    try {
      const rows = db.prepare('SELECT hash, payload FROM privacy_page_tokens').all() as Array<{ hash: string; payload: string }>;
      expect(rows).toHaveLength(1);
      expect(JSON.stringify(rows)).not.toContain(token);
    } finally {
      db.close();
    }
  });

  it('refuses bad input with a 4xx that says what is wrong, as JSON or as a readable page', async () => {
    await start();
    const bad = await submit({ email: 'not-an-address', type: 'everything' });
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ success: false, code: 'INVALID_REQUEST' });
    expect(bad.json.problems.map((p: { path: string }) => p.path)).toEqual(['email', 'type']);
    expect((await submit({ email: 'a@example.com', type: 'rectification' })).json.problems).toEqual([
      { path: 'details', message: 'say what is wrong and what it should be' },
    ]);
    const form = await fetch(`${fixture.url}/privacy/request`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
      body: 'email=nope&type=access',
    });
    expect(form.status).toBe(400);
    const html = await form.text();
    expect(html).toContain('role="alert"');
    expect(html).toContain('this is not an email address');
    expect(html).toContain('value="nope"');
    expect((await fixture.send('/privacy/request', undefined, { raw: '{"email":', headers: {} })).status).toBe(400);
    expect((await fixture.send('/privacy/request', undefined, { raw: 'x', headers: { 'content-type': 'text/csv' } })).status).toBe(415);
    expect(mail.requests).toHaveLength(0);
  });

  it('limits submissions per client address with a 429 and Retry-After', async () => {
    await start({ requestsPerWindow: 2, windowSeconds: 600 });
    expect((await submit({ email: 'one@example.com', type: 'access' })).status).toBe(202);
    expect((await submit({ email: 'two@example.com', type: 'access' })).status).toBe(202);
    const third = await submit({ email: 'three@example.com', type: 'access' });
    expect(third.status).toBe(429);
    expect(third.json).toMatchObject({ success: false, code: 'RATE_LIMITED' });
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0);
    await mailTo('two@example.com');
    expect(eventsOf(mail).some((e) => e.traits?.email === 'three@example.com')).toBe(false);
  });

  it('is off (404) without privacyPages.requests, and refuses a config whose email connection does not exist', async () => {
    fixture = await new RouterFixture({ sources: [{ id: 'web', type: 'segment', writeKey: 'wk_web' }] }).start();
    const off = await fixture.send('/privacy/request', { email: 'a@example.com', type: 'access' });
    expect(off.status).toBe(404);
    expect(off.json.code).toBe('NOT_CONFIGURED');
    await fixture.close();
    await expect(
      new RouterFixture({
        privacyPages: { requests: { emailConnection: 'missing' } },
        sources: [{ id: 'web', type: 'segment', writeKey: 'wk_web' }],
      }).start(),
    ).rejects.toThrow(/privacyPages\.requests\.emailConnection: no enabled connection with id "missing"/);
    fixture = undefined as unknown as RouterFixture;
  });
});
