import { randomUUID } from 'node:crypto';
import { HttpSink } from '../helpers/http-sink.js';
import { RouterFixture } from '../helpers/router.js';

const SHOP = 'http://shop.example';

function eventsOf(sink: HttpSink): any[] {
  return sink.requests.flatMap((r) => {
    const body = r.body as { batch?: unknown[] };
    return Array.isArray(body?.batch) ? body.batch : [body];
  });
}

/** The consent banner's routes through HTTP, as the browser and a hostile client reach them. */
describe('the consent banner routes (/consent.js, /privacy/consent)', () => {
  let analytics: HttpSink;
  let always: HttpSink;
  let fixture: RouterFixture;
  const own = () => new URL(fixture.url).origin;
  const choose = (body: unknown, headers: Record<string, string> = { origin: own() }) => fixture.send('/privacy/consent', body, { headers });

  beforeEach(async () => {
    analytics = await new HttpSink().start();
    always = await new HttpSink().start();
    fixture = await new RouterFixture({
      privacy: {
        purposes: [
          { id: 'analytics', description: 'Measure how the shop is used', segmentCategories: ['Analytics'] },
          { id: 'marketing', mparticlePurposes: ['ads'] },
        ],
      },
      privacyPages: { consent: { allowedOrigins: [SHOP], title: 'Cookies and you', policyUrl: 'https://shop.example/privacy' } },
      sources: [{ id: 'web', type: 'segment', writeKey: 'wk_web' }],
      connections: [
        { id: 'product-analytics', connector: 'webhook', consent: { purposes: ['analytics'] }, settings: { url: `${analytics.url}/a` } },
        { id: 'always', connector: 'webhook', settings: { url: `${always.url}/b` } },
      ],
    }).start();
  });
  afterEach(async () => {
    await fixture.close();
    await Promise.all([analytics.stop(), always.stop()]);
  });

  it('serves the banner script with the configured purposes, texts and the router origin', async () => {
    const response = await fetch(`${fixture.url}/consent.js`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/javascript');
    const source = await response.text();
    const settings = JSON.parse(/switchyardConsentBanner\((\{.*\})\);/.exec(source)![1]!);
    expect(settings).toMatchObject({
      routerOrigin: own(),
      title: 'Cookies and you',
      policyUrl: 'https://shop.example/privacy',
      purposes: [
        { id: 'analytics', label: 'Measure how the shop is used', segmentCategories: ['Analytics'], mparticlePurposes: ['analytics'] },
        { id: 'marketing', label: 'marketing', mparticlePurposes: ['ads'] },
      ],
    });
  });

  it('lets only the allowed sites frame the consent recorder', async () => {
    const frame = await fetch(`${fixture.url}/privacy/consent/frame?site=${encodeURIComponent(SHOP)}`);
    expect(frame.status).toBe(200);
    expect(frame.headers.get('content-security-policy')).toContain(`frame-ancestors ${SHOP}`);
    const other = await fetch(`${fixture.url}/privacy/consent/frame?site=${encodeURIComponent('http://evil.example')}`);
    expect(other.status).toBe(403);
    expect((await other.json()).code).toBe('ORIGIN_NOT_ALLOWED');
  });

  it('takes a choice only from its own origin: another page, a missing Origin and a cross-site fetch are refused', async () => {
    const choice = { site: SHOP, identities: { anonymous_id: 'anon-1' }, purposes: { analytics: true } };
    for (const headers of [{ origin: SHOP }, { origin: 'http://evil.example' }, {}, { origin: own(), 'sec-fetch-site': 'cross-site' }]) {
      const refused = await choose(choice, headers as Record<string, string>);
      expect(refused.status).toBe(403);
      expect(refused.json.code).toBe('CONSENT_WRITE_REFUSED');
      expect(refused.headers.get('access-control-allow-origin')).toBeNull();
    }
    const preflight = await fetch(`${fixture.url}/privacy/consent`, {
      method: 'OPTIONS',
      headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    // A form post (the one cross-site write a browser makes without asking) is not JSON: refused before anything is read.
    const form = await fixture.send('/privacy/consent', undefined, { raw: 'site=x', headers: { origin: own(), 'content-type': 'text/plain' } });
    expect(form.status).toBe(415);
  });

  it('refuses a choice for a site, identifier or purpose it does not know, saying which', async () => {
    const bad = await choose({ site: SHOP, identities: { email: 'a@example.com' }, purposes: { analytics: 'yes', tracking: true } });
    expect(bad.status).toBe(400);
    expect(bad.json.problems.map((p: { path: string }) => p.path)).toEqual(['$.identities.email', '$.purposes.analytics', '$.purposes.tracking']);
    const site = await choose({ site: 'http://evil.example', identities: { anonymous_id: 'a' }, purposes: { analytics: true } });
    expect(site.status).toBe(403);
  });

  it('records the choice under the visitor for routing: given, a connection with that purpose receives; withdrawn, it stops', async () => {
    for (let round = 0; round < 3; round += 1) {
      const anonymousId = `anon-${randomUUID()}`;
      const track = async (name: string) => {
        const messageId = randomUUID();
        expect((await fixture.send('/v1/track', { anonymousId, event: name, messageId }, { auth: 'wk_web:' })).status).toBe(200);
        await always.waitFor(() => eventsOf(always).some((e) => e.messageId === messageId));
        return messageId;
      };
      const before = await track('Before choosing');
      expect((await choose({ site: SHOP, identities: { anonymous_id: anonymousId }, purposes: { analytics: true, marketing: false } })).status).toBe(200);
      const given = await track('After consenting');
      await analytics.waitFor(() => eventsOf(analytics).some((e) => e.messageId === given));
      expect((await choose({ site: SHOP, identities: { anonymous_id: anonymousId }, purposes: { analytics: false } })).status).toBe(200);
      const withdrawn = await track('After withdrawing');
      await fixture.drained();
      const received = eventsOf(analytics).map((e) => e.messageId);
      expect(received).toContain(given);
      expect(received).not.toContain(before);
      expect(received).not.toContain(withdrawn);
    }
  });

  it('is off (404) without privacyPages.consent', async () => {
    await fixture.close();
    fixture = await new RouterFixture({ sources: [{ id: 'web', type: 'segment', writeKey: 'wk_web' }] }).start();
    expect((await fetch(`${fixture.url}/consent.js`)).status).toBe(404);
    expect((await choose({})).status).toBe(404);
  });
});
