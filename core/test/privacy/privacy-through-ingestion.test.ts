import { randomUUID } from 'node:crypto';
import { HttpSink } from '../helpers/http-sink.js';
import { RouterFixture } from '../helpers/router.js';

const ADMIN = 'admin-token-0123456789abcdef';

/**
 * The privacy gate as an operator meets it: consent and suppression decided on events that arrive through
 * the real ingestion endpoints, with the admin and OpenDSR APIs served by the same router.
 */
describe('privacy through real ingestion', () => {
  let analytics: HttpSink;
  let ads: HttpSink;
  let fixture: RouterFixture;

  beforeEach(async () => {
    analytics = await new HttpSink().start();
    ads = await new HttpSink().start();
    fixture = await new RouterFixture({
      admin: { tokens: [ADMIN] },
      dsr: { gracePeriodMs: 0 },
      privacy: {
        purposes: [
          { id: 'analytics', mparticlePurposes: ['analytics'], segmentCategories: ['Analytics'] },
          { id: 'marketing', mparticlePurposes: ['marketing'], segmentCategories: ['Advertising'] },
        ],
        missingConsent: { gdpr: 'deny', ccpa: 'allow' },
      },
      sources: [
        { id: 'web', type: 'segment', writeKey: 'wk_web' },
        { id: 'app', type: 'mparticle', apiKey: 'mp_key', apiSecret: 'mp_secret' },
      ],
      connections: [
        { id: 'product-analytics', connector: 'webhook', consent: { purposes: ['analytics'] }, settings: { url: `${analytics.url}/a` } },
        { id: 'ad-network', connector: 'webhook', consent: { purposes: ['marketing'], saleOrShare: true }, settings: { url: `${ads.url}/ads` } },
      ],
    }).start();
  });
  afterEach(async () => {
    await fixture.close();
    await analytics.stop();
    await ads.stop();
  });

  const segmentTrack = (userId: string, messageId: string, categories?: Record<string, boolean>) =>
    fixture.send(
      '/v1/track',
      {
        userId,
        event: 'Viewed',
        messageId,
        ...(categories ? { context: { consent: { categoryPreferences: categories } } } : {}),
      },
      { auth: 'wk_web:' },
    );
  const mparticleEvent = (customerId: string, messageId: string, consent?: unknown) =>
    fixture.send(
      '/v2/events',
      {
        user_identities: { customer_id: customerId },
        ...(consent ? { consent_state: consent } : {}),
        events: [{ event_type: 'custom_event', data: { event_name: 'Viewed', custom_event_type: 'other', source_message_id: messageId } }],
      },
      { auth: 'mp_key:mp_secret' },
    );
  const admin = (method: string, path: string, body?: unknown, token: string | null = ADMIN) =>
    fixture.send(path, body, {
      method,
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });

  it('forwards by GDPR purpose from Segment categoryPreferences', async () => {
    await segmentTrack('u-seg', 'seg-consent', { Analytics: true, Advertising: false });
    await analytics.waitFor(() => analytics.messageIds().includes('seg-consent'));
    await fixture.drained();
    expect(ads.messageIds()).not.toContain('seg-consent');
  });

  it('keeps CCPA sale opt-outs away from sale/share connections even with marketing consent, and remembers them', async () => {
    const optedOut = { gdpr: { analytics: { consented: true }, marketing: { consented: true } }, ccpa: { data_sale_opt_out: { consented: true } } };
    await mparticleEvent('c-opt', 'mp-opt-1', optedOut);
    await analytics.waitFor(() => analytics.messageIds().includes('mp-opt-1'));
    // A later event with no consent state still honours the stored opt-out (and the stored GDPR consent).
    await mparticleEvent('c-opt', 'mp-opt-2');
    await analytics.waitFor(() => analytics.messageIds().includes('mp-opt-2'));
    await fixture.drained();
    expect(ads.messageIds()).toEqual([]);

    const consented = { gdpr: { marketing: { consented: true } }, ccpa: { data_sale_opt_out: { consented: false } } };
    await mparticleEvent('c-ok', 'mp-ok-1', consented);
    await ads.waitFor(() => ads.messageIds().includes('mp-ok-1'));
  });

  it("drops a suppressed user's events at ingestion without storing them, and lists the suppression", async () => {
    const created = await admin('POST', '/admin/v1/suppressions', { identity_type: 'user_id', identity_value: 'u-gone' });
    expect(created.status).toBe(201);
    await segmentTrack('u-gone', 'sup-1', { Analytics: true });
    expect(await fixture.router.queue.depth()).toEqual({});
    expect(fixture.router.intake.stats.get('web', 'suppressed')).toBe(1);
    const listed = await admin('GET', '/admin/v1/suppressions');
    expect(listed.json.suppressions).toEqual([expect.objectContaining({ identity_type: 'user_id', identity_value: 'u-gone' })]);
  });

  it('stops queued events of a user suppressed after acceptance (late binding)', async () => {
    let open = false;
    const delivered: string[] = [];
    analytics.responder = (request) => {
      if (open) delivered.push((request.body as { messageId: string }).messageId);
      return { status: open ? 200 : 503 };
    };
    await segmentTrack('u-late', 'late-1', { Analytics: true });
    await segmentTrack('u-other', 'late-2', { Analytics: true });
    await analytics.waitFor(() => analytics.requests.length >= 2);
    await admin('POST', '/admin/v1/suppressions', { identity_type: 'user_id', identity_value: 'u-late' });
    open = true;
    await fixture.drained(30_000);
    expect(delivered).toContain('late-2');
    expect(delivered).not.toContain('late-1');
  });

  it("guards the admin API with the config's bearer tokens, never a write key", async () => {
    expect((await admin('GET', '/admin/v1/suppressions', undefined, null)).status).toBe(401);
    expect((await admin('GET', '/admin/v1/suppressions', undefined, 'wk_web')).status).toBe(403);
    expect((await fixture.send('/opendsr/v1/requests', {}, { method: 'POST' })).status).toBe(401);
  });

  it('erases a subject through OpenDSR on the router and suppresses them afterwards', async () => {
    await segmentTrack('u-erase', 'erase-1', { Analytics: true });
    await analytics.waitFor(() => analytics.messageIds().includes('erase-1'));
    const request = {
      regulation: 'gdpr',
      subject_request_id: randomUUID(),
      subject_request_type: 'erasure',
      submitted_time: new Date().toISOString(),
      subject_identities: [{ identity_type: 'controller_customer_id', identity_value: 'u-erase', identity_format: 'raw' }],
      api_version: '1.0',
    };
    const submitted = await admin('POST', '/opendsr/v1/requests', request);
    expect(submitted.status).toBe(201);
    let status = '';
    for (const deadline = Date.now() + 10_000; status !== 'completed' && Date.now() < deadline;) {
      status = (await admin('GET', `/opendsr/v1/requests/${request.subject_request_id}`)).json.request_status;
      // The processor has no completion event to wait on; re-read the status the way a controller would.
      if (status !== 'completed') await new Promise<void>((resolve) => setTimeout(resolve, 50));
    }
    expect(status).toBe('completed');
    await segmentTrack('u-erase', 'erase-2', { Analytics: true });
    expect(fixture.router.intake.stats.get('web', 'suppressed')).toBe(1);
  });
});
