import { HttpSink } from '../helpers/http-sink.js';
import { accepted, trackEvent } from '../helpers/events.js';
import { ADMIN_TOKEN, PrivacyFixture } from '../helpers/privacy.js';

const slowRetry = { retry: { baseDelayMs: 100, maxDelayMs: 200, maxAttempts: 1000 }, breaker: { volumeThreshold: 1000 } };

describe('admin API and late-binding privacy', () => {
  let fixture: PrivacyFixture;
  let sink: HttpSink;

  beforeEach(async () => {
    sink = await new HttpSink().start();
  });

  afterEach(async () => {
    await fixture.close();
    await sink.stop();
  });

  it('refuses requests without a valid bearer token, with a JSON error', async () => {
    fixture = await new PrivacyFixture().start();
    const missing = await fixture.request('GET', '/admin/v1/suppressions', undefined, null);
    expect(missing.status).toBe(401);
    expect(missing.json.error.message).toContain('Authorization: Bearer');
    const wrong = await fixture.request('GET', '/admin/v1/suppressions', undefined, 'wk_web');
    expect(wrong.status).toBe(403);
    expect((await fixture.request('GET', '/admin/v1/suppressions', undefined, ADMIN_TOKEN)).status).toBe(200);
  });

  it('adds, lists and removes suppressions, and says what is wrong with a bad one', async () => {
    fixture = await new PrivacyFixture().start();
    const created = await fixture.request('POST', '/admin/v1/suppressions', { identity_type: 'email', identity_value: 'Someone@Example.com' });
    expect(created.status).toBe(201);
    expect((await fixture.request('POST', '/admin/v1/suppressions', { identity_type: 'email', identity_value: 'Someone@Example.com' })).status).toBe(200);
    const listed = await fixture.request('GET', '/admin/v1/suppressions');
    expect(listed.json).toMatchObject({ total: 1, suppressions: [{ id: created.json.suppression.id, identity_type: 'email' }] });

    const bad = await fixture.request('POST', '/admin/v1/suppressions', { identity_type: 'shoe_size', identity_value: '' });
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toContain('body.identity_type: must be equal to one of the allowed values');
    expect(bad.json.error.message).toContain('ios_idfa');

    expect((await fixture.request('DELETE', `/admin/v1/suppressions/${created.json.suppression.id}`)).status).toBe(204);
    expect((await fixture.request('DELETE', `/admin/v1/suppressions/${created.json.suppression.id}`)).status).toBe(404);
    expect(fixture.services.suppressions.isSuppressed(['email:someone@example.com'])).toBe(false);
  });

  it('stops events queued before a suppression, including ones being retried, and counts them', async () => {
    fixture = await new PrivacyFixture().start();
    let up = false;
    sink.responder = () => (up ? { status: 200 } : { status: 503 });
    await fixture.runtime.connect([{ id: 'hook', connector: 'webhook', settings: { url: sink.url }, delivery: slowRetry }]);
    const suppressed = Array.from({ length: 5 }, () => trackEvent({ userId: 'u-gone', identities: { user_id: 'u-gone' } }));
    const kept = Array.from({ length: 5 }, () => trackEvent({ userId: 'u-kept', identities: { user_id: 'u-kept' } }));
    await fixture.runtime.runtime.accept([...suppressed, ...kept].map((e) => accepted(e, ['hook'])));
    await sink.waitFor(() => sink.requests.length >= 10, 10_000, 'the first failing attempts');

    await fixture.request('POST', '/admin/v1/suppressions', { identity_type: 'user_id', identity_value: 'u-gone' });
    const firstAfter = sink.requests.length;
    up = true;
    await fixture.runtime.until(
      () => fixture.runtime.delivered('hook').length === 5 && fixture.runtime.settled.flatMap((s) => s.dropped).length === 5,
      15_000,
      'delivery and drops',
    );

    const sentAfter = sink.requests.slice(firstAfter).map((r) => (r.body as { messageId: string }).messageId);
    expect(sentAfter.filter((id) => suppressed.some((e) => e.messageId === id))).toEqual([]);
    expect(new Set(fixture.runtime.delivered('hook'))).toEqual(new Set(kept.map((e) => e.messageId)));
    const decisions = await fixture.request('GET', '/admin/v1/privacy/decisions?connection=hook');
    expect(decisions.json.decisions).toContainEqual({ sourceId: 'web', connectionId: 'hook', decision: 'suppressed', count: 5 });
  });

  it('applies a consent withdrawal to queued events, and keeps CCPA opt-outs away from advertising connections', async () => {
    fixture = await new PrivacyFixture().start({ purposes: [{ id: 'marketing', segmentCategories: ['Marketing'] }] });
    sink.responder = (r) => (r.path.startsWith('/stall') ? { status: 503 } : { status: 200 });
    await fixture.runtime.connect([
      { id: 'email-tool', connector: 'webhook', settings: { url: `${sink.url}/stall` }, delivery: slowRetry, consent: { purposes: ['marketing'] } },
      { id: 'ads', connector: './deletable', settings: { url: `${sink.url}/ads` } },
      { id: 'analytics', connector: 'webhook', settings: { url: `${sink.url}/analytics` } },
    ]);
    const consented = trackEvent({ userId: 'u-1', identities: { user_id: 'u-1' }, context: { consent: { categories: { Marketing: true } } } });
    expect(fixture.services.gate.admit(consented)).toMatchObject({ admitted: true });
    await fixture.runtime.runtime.accept([accepted(consented, ['email-tool'])]);
    await sink.waitFor(() => sink.requests.some((r) => r.path === '/stall'), 10_000, 'a first attempt');

    // The user withdraws marketing consent on a later event: the queued, retrying event must not go out.
    const withdrawal = trackEvent({ userId: 'u-1', identities: { user_id: 'u-1' }, context: { consent: { categories: { Marketing: false } } } });
    const admission = fixture.services.gate.admit(withdrawal);
    expect(admission.admitted).toBe(true);
    sink.responder = () => ({ status: 200 });
    await fixture.runtime.until(() => fixture.runtime.settled.some((s) => s.dropped.includes(consented.messageId)), 10_000, 'the withdrawal to apply');
    expect(fixture.runtime.delivered('email-tool')).toEqual([]);

    // Fan-out: the opted-out-of-sale user reaches analytics but never the advertising connection.
    const optedOut = trackEvent({ userId: 'u-2', identities: { user_id: 'u-2' }, context: { consent: { ccpa: { dataSaleOptOut: true } } } });
    const verdict = fixture.services.gate.admit(optedOut);
    if (!verdict.admitted) throw new Error('expected admission');
    expect(fixture.services.gate.allowedConnections(optedOut, verdict.consent, fixture.runtime.specs).map((c) => c.id)).toEqual(['analytics']);
    const decisions = (await fixture.request('GET', '/admin/v1/privacy/decisions')).json.decisions;
    expect(decisions).toContainEqual({ sourceId: 'web', connectionId: 'ads', decision: 'blocked:ccpa:data_sale_opt_out', count: 1 });
    expect(decisions).toContainEqual({ sourceId: 'web', connectionId: 'email-tool', decision: 'blocked:consent:marketing', count: 2 });
  });

  it('rectifies attributes: stores the correction and sends it to connections that take identify events', async () => {
    fixture = await new PrivacyFixture().start();
    await fixture.runtime.connect([{ id: 'crm', connector: 'webhook', settings: { url: `${sink.url}/crm` } }]);
    const response = await fixture.request('POST', '/admin/v1/rectifications', {
      identity_type: 'user_id',
      identity_value: 'u-7',
      attributes: { last_name: 'Lovelace', nickname: null },
    });
    expect(response.status).toBe(202);
    expect(response.json.rectification).toMatchObject({ sent_to: ['crm'], stored_traits: { last_name: 'Lovelace', nickname: null } });
    await sink.waitFor(() => sink.requests.length === 1, 10_000, 'the correction');
    expect(sink.requests[0]!.body).toMatchObject({ type: 'identify', userId: 'u-7', traits: { last_name: 'Lovelace', nickname: null } });
    expect(fixture.services.profiles.get('user_id:u-7')?.traits).toEqual({ last_name: 'Lovelace', nickname: null });
  });
});
