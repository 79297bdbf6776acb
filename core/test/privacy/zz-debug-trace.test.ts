import { writeFileSync } from 'node:fs';
import { createVerify, randomUUID, X509Certificate } from 'node:crypto';
import { HttpSink } from '../helpers/http-sink.js';
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

  it('DEBUGTRACE erases a subject mid-retry: purges queued events, forwards onDelete, suppresses, and reports each step by signed callback', async () => {
    fixture = await new PrivacyFixture().start({}, { gracePeriodMs: 0 });
    let destinationUp = false;
    destination.responder = (request) => (request.path === '/delete' || destinationUp ? { status: 200 } : { status: 503 });
    await fixture.runtime.connect([
      { id: 'ads', connector: './deletable', settings: { url: destination.url }, delivery: { retry: { baseDelayMs: 50, maxDelayMs: 100, maxAttempts: 1000 }, breaker: { volumeThreshold: 1000 } } },
      { id: 'hook', connector: 'webhook', settings: { url: `${destination.url}/hook` }, delivery: { retry: { baseDelayMs: 50, maxDelayMs: 100, maxAttempts: 1000 }, breaker: { volumeThreshold: 1000 } } },
    ]);
    const t0 = Date.now(); const log: string[] = []; (globalThis as any).__log = log;
    const gate = fixture.services.gate as any; const origNote = gate.noteRevocation.bind(gate);
    gate.noteRevocation = () => { log.push(`${Date.now()-t0} revocation`); origNote(); };
    const origGate = gate.deliveryGate;
    Object.defineProperty(gate, 'deliveryGate', { value: async (id: string, items: any[]) => { const d = await origGate(id, items); log.push(`${Date.now()-t0} gate ${id} ${items.map((i: any, k: number) => JSON.parse(i.body).messageId.slice(0,4)+(d[k].deliver?'+':'-')).join(',')}`); return d; } });
    const origResp = destination.responder; destination.responder = (r, i) => { const a = origResp(r, i); log.push(`${Date.now()-t0} sink ${r.path} ${String((r.body as any)?.messageId).slice(0,4)} ${a.status}`); return a; };
    const subject = Array.from({ length: 3 }, () => trackEvent({ identities: { email: 'erase.me@example.com' } }));
    const other = trackEvent({ identities: { email: 'keep@example.com' } });
    await fixture.runtime.runtime.accept([...subject, other].map((e) => accepted(e, ['ads', 'hook'])));
    await fixture.runtime.until(() => fixture.runtime.settled.some((s) => s.retried.length > 0), 10_000, 'retries to start: ');

    const request = erasureRequest({ status_callback_urls: [`${controller.url}/callbacks`] });
    log.push(`${Date.now()-t0} erasure POST`);
    const created = await fixture.request('POST', '/opendsr/v1/requests', request);
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ subject_request_id: request.subject_request_id, controller_id: 'switchyard' });
    expect(Buffer.from(created.json.encoded_request, 'base64').toString()).toBe(JSON.stringify(request));

    await controller.waitFor(() => controller.requests.some((r) => (r.body as any).request_status === 'completed'), 20_000, 'the completed callback');
    log.push(`${Date.now()-t0} completed callback seen`);
    const certificate = fixture.services.signer.certificatePem;
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

    // The destination recovers: only the other user's events arrive, never the erased subject's.
    const requestsBefore = destination.requests.length; log.push(`${Date.now()-t0} snapshot`);

    process.stdout.write('subject ' + subject.map(e=>e.messageId.slice(0,4)).join(',') + ' other ' + other.messageId.slice(0,4) + '\n');
    destinationUp = true;
    await fixture.runtime.until(() => fixture.runtime.delivered().filter((id) => id === other.messageId).length === 2, 15_000, 'the other user');
    const sentAfter = destination.requests.slice(requestsBefore).map((r) => (r.body as any).messageId);
    if (sentAfter.some((id) => subject.some((e) => e.messageId === id))) writeFileSync('/tmp/trace.txt', 'subject ' + subject.map(e=>e.messageId.slice(0,4)).join(',') + ' other ' + other.messageId.slice(0,4) + '\n' + log.join('\n'));
    expect(sentAfter.filter((id) => subject.some((e) => e.messageId === id))).toEqual([]);
    expect(await fixture.runtime.queue.depth()).toEqual({});
    const suppressions = await fixture.request('GET', '/admin/v1/suppressions');
    expect(suppressions.json.suppressions).toContainEqual(expect.objectContaining({ identity_type: 'email', identity_value: 'Erase.Me@Example.com' }));

    // A later event of the erased subject is refused at admission as suppressed.
    expect(fixture.services.gate.admit(trackEvent({ identities: { email: 'ERASE.ME@example.com ' } }))).toEqual({ admitted: false, reason: 'suppressed' });
  });

});
