import { createVerify, randomUUID, X509Certificate } from 'node:crypto';
import { HttpSink, type CapturedRequest } from '../helpers/http-sink.js';
import { accepted, trackEvent } from '../helpers/events.js';
import { PrivacyFixture } from '../helpers/privacy.js';

function erasureRequest(overrides: Record<string, unknown> = {}) {
  return {
    regulation: 'gdpr',
    subject_request_id: randomUUID(),
    subject_request_type: 'erasure',
    submitted_time: new Date().toISOString(),
    subject_identities: [{ identity_type: 'email', identity_value: 'Erase.Me@Example.com', identity_format: 'raw' }],
    api_version: '1.0',
    ...overrides,
  };
}

/** Resolves once `predicate` holds, re-checked every few milliseconds; rejects after ten seconds. */
async function until(predicate: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function verify(rawBody: string, signature: string, certificatePem: string): boolean {
  return createVerify('RSA-SHA256').update(rawBody).verify(new X509Certificate(certificatePem).publicKey, signature, 'base64');
}

describe('OpenDSR processor', () => {
  let fixture: PrivacyFixture;
  let destination: HttpSink;
  let controller: HttpSink;

  beforeEach(async () => {
    destination = await new HttpSink().start();
    controller = await new HttpSink().start();
  });

  afterEach(async () => {
    await fixture.close();
    await destination.stop();
    await controller.stop();
  });

  it('publishes discovery and a certificate that verifies its signatures', async () => {
    fixture = await new PrivacyFixture().start();
    const discovery = await fixture.request('GET', '/opendsr/v1/discovery', undefined, null);
    expect(discovery.status).toBe(200);
    expect(discovery.json.supported_subject_request_types).toEqual(['erasure', 'access', 'portability']);
    expect(discovery.json.supported_identities).toContainEqual({ identity_type: 'email', identity_format: 'raw' });
    const certificate = await fetch(discovery.json.processor_certificate).then((r) => r.text());
    expect(certificate).toContain('BEGIN CERTIFICATE');
    expect(verify(discovery.raw, discovery.headers.get('x-opendsr-signature')!, certificate)).toBe(true);
    expect(verify(`${discovery.raw} `, discovery.headers.get('x-opendsr-signature')!, certificate)).toBe(false);
    expect(discovery.headers.get('x-opendsr-processor-domain')).toBe('switchyard.localhost');
  });

  it('erases a subject mid-retry: purges queued events, forwards onDelete, suppresses, and reports each step by signed callback', async () => {
    fixture = await new PrivacyFixture().start({}, { gracePeriodMs: 0 });
    let destinationUp = false;
    destination.responder = (request) => (request.path === '/delete' || destinationUp ? { status: 200 } : { status: 503 });
    await fixture.runtime.connect([
      {
        id: 'ads',
        connector: './deletable',
        settings: { url: destination.url },
        delivery: { retry: { baseDelayMs: 50, maxDelayMs: 100, maxAttempts: 1000 }, breaker: { volumeThreshold: 1000 } },
      },
      {
        id: 'hook',
        connector: 'webhook',
        settings: { url: `${destination.url}/hook` },
        delivery: { retry: { baseDelayMs: 50, maxDelayMs: 100, maxAttempts: 1000 }, breaker: { volumeThreshold: 1000 } },
      },
    ]);
    const subject = Array.from({ length: 3 }, () => trackEvent({ identities: { email: 'erase.me@example.com' } }));
    const other = trackEvent({ identities: { email: 'keep@example.com' } });
    await fixture.runtime.runtime.accept([...subject, other].map((e) => accepted(e, ['ads', 'hook'])));
    await fixture.runtime.until(() => fixture.runtime.settled.some((s) => s.retried.length > 0), 10_000, 'retries to start: ');

    const request = erasureRequest({ status_callback_urls: [`${controller.url}/callbacks`] });
    const created = await fixture.request('POST', '/opendsr/v1/requests', request);
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ subject_request_id: request.subject_request_id, controller_id: 'switchyard' });
    expect(Buffer.from(created.json.encoded_request, 'base64').toString()).toBe(JSON.stringify(request));

    await controller.waitFor(() => controller.requests.some((r) => (r.body as any).request_status === 'completed'), 20_000, 'the completed callback');
    const certificate = fixture.dsr.signer.certificatePem;
    const statuses = controller.requests.map((r) => (r.body as any).request_status);
    expect(statuses).toEqual(['pending', 'in_progress', 'completed']);
    for (const callback of controller.requests) {
      expect(verify(callback.rawBody, callback.headers['x-opendsr-signature'] as string, certificate)).toBe(true);
      expect(callback.body).toMatchObject({ subject_request_id: request.subject_request_id, status_callback_url: `${controller.url}/callbacks` });
    }

    const status = await fixture.request('GET', `/opendsr/v1/requests/${request.subject_request_id}`);
    expect(status.json.request_status).toBe('completed');
    expect(status.json.extensions['switchyard.localhost'].connections).toEqual({ ads: { status: 'sent' }, hook: { status: 'skipped' } });
    const deletion = destination.requests.find((r) => r.path === '/delete');
    expect(deletion?.body).toEqual({ identities: { email: 'Erase.Me@Example.com' } });
    // Whatever of the subject's the destination was sent, the deletion reached it afterwards.
    const isSubjectEvent = (r: CapturedRequest) => r.path === '/events' && subject.some((e) => e.messageId === (r.body as any).messageId);
    expect(destination.requests.map(isSubjectEvent).lastIndexOf(true)).toBeLessThan(destination.requests.indexOf(deletion!));

    // The destination recovers: only the other user's events arrive, never the erased subject's.
    const requestsBefore = destination.requests.length;
    destinationUp = true;
    await fixture.runtime.until(() => fixture.runtime.delivered().filter((id) => id === other.messageId).length === 2, 15_000, 'the other user');
    const sentAfter = destination.requests.slice(requestsBefore).map((r) => (r.body as any).messageId);
    expect(sentAfter.filter((id) => subject.some((e) => e.messageId === id))).toEqual([]);
    expect(await fixture.runtime.queue.depth()).toEqual({});
    const suppressions = await fixture.request('GET', '/admin/v1/suppressions');
    expect(suppressions.json.suppressions).toContainEqual(expect.objectContaining({ identity_type: 'email', identity_value: 'Erase.Me@Example.com' }));

    // A later event of the erased subject is refused at admission as suppressed.
    expect(fixture.services.gate.admit(trackEvent({ identities: { email: 'ERASE.ME@example.com ' } }))).toEqual({ admitted: false, reason: 'suppressed' });
  });

  it('lets a task a worker already holds finish before forwarding the deletion and completing', async () => {
    fixture = await new PrivacyFixture().start({}, { gracePeriodMs: 0 });
    const subject = Array.from({ length: 3 }, () => trackEvent({ identities: { email: 'erase.me@example.com' } }));
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const isHeld = (r: CapturedRequest) => (r.body as any)?.messageId === subject[0]!.messageId;
    destination.responder = (request) => (isHeld(request) ? released.then(() => ({ status: 200 })) : { status: 200 });
    await fixture.runtime.connect([{ id: 'ads', connector: './deletable', settings: { url: destination.url } }]);
    await fixture.runtime.runtime.accept(subject.map((e) => accepted(e, ['ads'])));
    await destination.waitFor(() => destination.requests.some(isHeld), 10_000, 'the held request');

    const request = erasureRequest({ status_callback_urls: [`${controller.url}/callbacks`] });
    expect((await fixture.request('POST', '/opendsr/v1/requests', request)).status).toBe(201);
    await until(async () => Object.keys(await fixture.runtime.queue.depth()).length === 0, 'the purge');
    const during = (await fixture.request('GET', `/opendsr/v1/requests/${request.subject_request_id}`)).json;
    expect(during.request_status).toBe('in_progress');
    expect(during.extensions['switchyard.localhost'].connections).toEqual({});
    expect(destination.requests.some((r) => r.path === '/delete')).toBe(false);

    release();
    await controller.waitFor(() => controller.requests.some((r) => (r.body as any).request_status === 'completed'), 10_000, 'the completed callback');
    const deletionAt = destination.requests.findIndex((r) => r.path === '/delete');
    expect(deletionAt).toBeGreaterThan(destination.requests.findIndex(isHeld));
    expect(destination.requests.slice(deletionAt + 1)).toEqual([]);
    expect((await fixture.request('GET', `/opendsr/v1/requests/${request.subject_request_id}`)).json.extensions['switchyard.localhost'].connections).toEqual({
      ads: { status: 'sent' },
    });
  });

  it("stops the subject's events leased before an erasure that asks not to suppress, and lets later ones through", async () => {
    fixture = await new PrivacyFixture().start({}, { gracePeriodMs: 0 });
    const leased = (event: ReturnType<typeof trackEvent>, privacyVersion: number) => ({
      id: 1,
      connectionId: 'hook',
      messageId: event.messageId,
      body: JSON.stringify(event),
      attempts: 0,
      enqueuedAt: Date.now(),
      privacyVersion,
    });
    const before = leased(trackEvent({ identities: { email: 'erase.me@example.com' } }), fixture.services.gate.version);
    const request = erasureRequest({ status_callback_urls: [controller.url], extensions: { 'switchyard.localhost': { suppress: false } } });
    await fixture.request('POST', '/opendsr/v1/requests', request);
    await controller.waitFor(() => controller.requests.some((r) => (r.body as any).request_status === 'completed'), 10_000, 'completion');

    const laterEvent = trackEvent({ identities: { email: 'erase.me@example.com' } });
    expect(fixture.services.gate.admit(laterEvent)).toMatchObject({ admitted: true });
    const decision = await fixture.services.gate.deliveryGate('hook', [before, leased(laterEvent, fixture.services.gate.version)], Promise.resolve());
    expect(decision.verdicts).toEqual([{ deliver: false, reason: 'erased' }, { deliver: true }]);
  });

  it('cancels a pending request and refuses to cancel it twice', async () => {
    fixture = await new PrivacyFixture().start({}, { gracePeriodMs: 60_000 });
    const request = erasureRequest({ status_callback_urls: [`${controller.url}/cb`] });
    expect((await fixture.request('POST', '/opendsr/v1/requests', request)).status).toBe(201);
    const cancelled = await fixture.request('DELETE', `/opendsr/v1/requests/${request.subject_request_id}`);
    expect(cancelled.status).toBe(202);
    expect(cancelled.json).toMatchObject({ subject_request_id: request.subject_request_id, controller_id: 'switchyard' });
    expect((await fixture.request('GET', `/opendsr/v1/requests/${request.subject_request_id}`)).json.request_status).toBe('cancelled');
    await controller.waitFor(() => controller.requests.length === 2, 10_000, 'two callbacks');
    expect(controller.requests.map((r) => (r.body as any).request_status)).toEqual(['pending', 'cancelled']);
    const again = await fixture.request('DELETE', `/opendsr/v1/requests/${request.subject_request_id}`);
    expect(again.status).toBe(400);
    expect(again.json.error.message).toContain('only pending requests can be cancelled');
  });

  it('rejects bad requests with the OpenDSR error shape, never echoing identities', async () => {
    fixture = await new PrivacyFixture().start();
    const missing = await fixture.request('POST', '/opendsr/v1/requests', { ...erasureRequest(), subject_request_id: undefined });
    expect(missing.status).toBe(400);
    expect(missing.json.error.code).toBe(400);
    expect(missing.json.error.message).toContain('subject_request_id: is required');
    expect(missing.json.error.errors[0]).toMatchObject({ domain: 'Validation', reason: 'required' });

    const badType = await fixture.request(
      'POST',
      '/opendsr/v1/requests',
      erasureRequest({
        subject_request_type: 'rectification',
        subject_identities: [{ identity_type: 'shoe_size', identity_value: 'secret-person@example.com', identity_format: 'raw' }],
      }),
    );
    expect(badType.status).toBe(400);
    expect(badType.json.error.message).toContain('subject_request_type');
    expect(badType.json.error.message).toContain('subject_identities[0].identity_type');
    expect(badType.raw).not.toContain('secret-person@example.com');

    const unauthenticated = await fixture.request('POST', '/opendsr/v1/requests', erasureRequest(), null);
    expect(unauthenticated.status).toBe(401);
    expect(unauthenticated.json.error).toMatchObject({ code: 401 });
    expect((await fixture.request('POST', '/opendsr/v1/requests', erasureRequest(), 'wrong-token')).status).toBe(403);

    const request = erasureRequest();
    expect((await fixture.request('POST', '/opendsr/v1/requests', request)).status).toBe(201);
    expect((await fixture.request('POST', '/opendsr/v1/requests', request)).status).toBe(409);
    expect((await fixture.request('GET', `/opendsr/v1/requests/${randomUUID()}`)).status).toBe(404);
  });

  it('answers an access request with a JSON Lines export of what is held, downloadable by its token', async () => {
    fixture = await new PrivacyFixture().start({ purposes: [{ id: 'analytics' }] }, { gracePeriodMs: 0 });
    destination.responder = () => ({ status: 503 });
    await fixture.runtime.connect([
      { id: 'hook', connector: 'webhook', settings: { url: destination.url }, delivery: { retry: { baseDelayMs: 5000, maxDelayMs: 5000 } } },
    ]);
    const held = trackEvent({ userId: 'u-42', identities: { user_id: 'u-42' }, properties: { plan: 'pro' } });
    await fixture.runtime.runtime.accept([accepted(held, ['hook'])]);
    fixture.services.profiles.rectify(['user_id:u-42'], { name: 'Ada' });

    const request = erasureRequest({
      subject_request_type: 'access',
      subject_identities: [{ identity_type: 'controller_customer_id', identity_value: 'u-42', identity_format: 'raw' }],
    });
    await fixture.request('POST', '/opendsr/v1/requests', { ...request, status_callback_urls: [controller.url] });
    await controller.waitFor(() => controller.requests.some((r) => (r.body as any).request_status === 'completed'), 10_000, 'completion');
    const status = (await fixture.request('GET', `/opendsr/v1/requests/${request.subject_request_id}`)).json;
    expect(status.request_status).toBe('completed');
    expect(status.results_url).toMatch(/\/opendsr\/v1\/results\/[A-Za-z0-9_-]{32}$/);
    const download = await fetch(status.results_url);
    expect(download.status).toBe(200);
    const lines = (await download.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toContainEqual(expect.objectContaining({ kind: 'profile', identity: 'user_id:u-42', traits: { name: 'Ada' } }));
    expect(lines).toContainEqual(
      expect.objectContaining({ kind: 'event', held_in: 'queue', connections: ['hook'], event: expect.objectContaining({ messageId: held.messageId }) }),
    );
    expect(status.results_count).toBe(lines.length);
    expect((await fetch(`${fixture.baseUrl}/opendsr/v1/results/not-a-token`)).status).toBe(404);
  });

  it('answers 410 Gone for results past their expiry', async () => {
    fixture = await new PrivacyFixture().start({}, { gracePeriodMs: 0, resultsTtlMs: -1 });
    const request = erasureRequest({ subject_request_type: 'portability', status_callback_urls: [controller.url] });
    await fixture.request('POST', '/opendsr/v1/requests', request);
    await controller.waitFor(() => controller.requests.some((r) => (r.body as any).request_status === 'completed'), 10_000, 'completion');
    const completed = controller.requests.find((r) => (r.body as any).request_status === 'completed')!.body as { results_url: string };
    const download = await fetch(completed.results_url);
    expect(download.status).toBe(410);
    expect((await download.json()).error.message).toContain('expired');
  });
});
