import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { PrivacyPagesConfig } from '../config/config-types.js';
import { newDsrRecord } from '../dsr/dsr-record.js';
import type { DsrProcessor } from '../dsr/dsr-processor.js';
import type { DsrStore } from '../dsr/dsr-store.js';
import type { OpenDsrRequestBody } from '../dsr/dsr-types.js';
import { validateOpenDsrRequest } from '../dsr/opendsr-validation.js';
import { RequestError, type Problem } from '../http-input/request-error.js';
import type { EventRouting } from '../routing/event-routing.js';
import { isTokenShaped, type CapabilityTokens } from './capability-tokens.js';
import { escapeHtml, sendPage, wantsPage } from './html.js';
import type { PageLimits } from './page-limits.js';
import { readRequestForm, REQUEST_KINDS, type RequestForm, type RequestKind } from './request-form.js';
import { confirmHtml, LINK_UNUSABLE, requestFormHtml, SENT_MESSAGE, statusHtml, type RequestStatusView } from './request-views.js';
import { verificationMail } from './verification-mail.js';

export type RequestPageConfig = NonNullable<PrivacyPagesConfig['requests']>;

export interface RequestRoutesOptions {
  config: () => RequestPageConfig | undefined;
  tokens: CapabilityTokens;
  dsr: { store: DsrStore; processor: Pick<DsrProcessor, 'accept' | 'openResults'> };
  routing: Pick<EventRouting, 'sendRequestedMessage'>;
  limits: PageLimits;
  /** The router's public base URL (links in mails); taken from the request's Host when absent. */
  publicUrl: () => string | undefined;
  expectedCompletionMs: () => number;
  /** `extensions` key of this processor in OpenDSR requests. */
  processorDomain: string;
  /** How long a status link works: as long as an export stays downloadable, and a week more. */
  statusLinkTtlMs: number;
}

interface Verification extends RequestForm {
  requestedFrom: string;
}

interface StatusCapability {
  requestId: string;
  kind: RequestKind;
}

const DEFAULT_LINK_TTL_MINUTES = 60;

/**
 * The data-subject request page, `/privacy/request`: a person gives their email and what they want; a one-time link
 * goes to that address through the configured email connection; following it turns the request into an OpenDSR
 * request, which the person follows (and downloads an export from) through a capability link. The answer to a
 * submission never depends on whether the address is known: nothing is looked up before the address is verified.
 */
export const requestRoutes: FastifyPluginAsync<RequestRoutesOptions> = async (app, options) => {
  const enabled = (reply: FastifyReply) => {
    const config = options.config();
    if (!config) throw new RequestError(404, 'NOT_CONFIGURED', [], 'the request page is off: configure privacyPages.requests');
    return { config, siteName: config.siteName ?? 'this site', reply };
  };
  const baseUrl = (request: FastifyRequest) => (options.publicUrl() ?? `${request.protocol}://${request.headers.host ?? 'localhost'}`).replace(/\/+$/, '');
  // A link in a mail must never come from a request header: a forged Host would send the victim's one-time link to
  // the forger's server. Without a public URL, only a loopback Host (a router on this machine) is taken.
  const mailBaseUrl = (request: FastifyRequest) => {
    if (options.publicUrl() || isLoopbackHost(request.headers.host)) return baseUrl(request);
    throw new RequestError(503, 'PUBLIC_URL_REQUIRED', [], 'the request page cannot send links until server.publicUrl is set');
  };
  const refuse = (request: FastifyRequest, reply: FastifyReply, status: number, code: string, message: string, problems: Problem[] = []) => {
    if (wantsPage(request.headers.accept)) return sendPage(reply, status, 'Your privacy request', `<p role="alert" class="error">${escapeHtml(message)}</p>`);
    return reply.code(status).header('cache-control', 'no-store').send({ success: false, code, message, problems });
  };

  app.get('/privacy/request', async (_request, reply) => {
    const { siteName } = enabled(reply);
    return sendPage(reply, 200, 'Your privacy request', requestFormHtml(siteName));
  });

  app.post('/privacy/request', async (request, reply) => {
    const { config, siteName } = enabled(reply);
    const page = wantsPage(request.headers.accept);
    const checked = readRequestForm(request.body);
    if (!checked.ok) {
      if (page)
        return sendPage(reply, 400, 'Your privacy request', requestFormHtml(siteName, checked.problems, (request.body ?? {}) as Record<string, unknown>));
      throw new RequestError(400, 'INVALID_REQUEST', checked.problems);
    }
    const { form } = checked;
    options.limits.take(config, [`ip:${request.ip}`, `email:${form.email}`], reply);
    const linkBase = mailBaseUrl(request);
    // Known address or not, the same work is done and the same answer given: a token, a mail, "check your inbox".
    const ttlMs = (config.linkTtlMinutes ?? DEFAULT_LINK_TTL_MINUTES) * 60_000;
    const token = options.tokens.issue('verification', { ...form, requestedFrom: request.ip } satisfies Verification, ttlMs);
    const link = `${linkBase}/privacy/request/confirm?token=${token}`;
    const sent = await options.routing.sendRequestedMessage(
      verificationMail(form.email, link, form.kind, new Date(Date.now() + ttlMs), siteName),
      config.emailConnection,
    );
    if (!sent) request.log.error({ connection: config.emailConnection }, 'the request page cannot send mail: its email connection is not running');
    if (page) return sendPage(reply, 202, 'Check your inbox', `<p role="status">${escapeHtml(SENT_MESSAGE)}</p>`);
    return reply.code(202).header('cache-control', 'no-store').send({ success: true, status: 'verification_sent', message: SENT_MESSAGE });
  });

  // Showing the link does not use it (mail scanners open links); the person confirms with a POST.
  app.get<{ Querystring: { token?: string } }>('/privacy/request/confirm', async (request, reply) => {
    enabled(reply);
    const token = request.query.token;
    const pending = isTokenShaped(token) ? options.tokens.read<Verification>('verification', token) : undefined;
    if (!pending) return refuse(request, reply, 410, 'LINK_UNUSABLE', LINK_UNUSABLE);
    return sendPage(reply, 200, 'Confirm your privacy request', confirmHtml(token!, pending.kind));
  });

  app.post('/privacy/request/confirm', async (request, reply) => {
    const { config } = enabled(reply);
    options.limits.take(config, [`ip:${request.ip}`], reply);
    const token = (request.body as Record<string, unknown> | undefined)?.token;
    const verified = isTokenShaped(token) ? options.tokens.consume<Verification>('verification', token) : undefined;
    if (!verified) return refuse(request, reply, 410, 'LINK_UNUSABLE', LINK_UNUSABLE);
    const body: OpenDsrRequestBody = {
      regulation: 'gdpr',
      subject_request_id: randomUUID(),
      subject_request_type: REQUEST_KINDS[verified.kind].dsrType,
      submitted_time: new Date().toISOString(),
      subject_identities: [{ identity_type: 'email', identity_value: verified.email, identity_format: 'raw' }],
      api_version: '1.0',
      extensions: {
        [options.processorDomain]: {
          submitted_via: 'privacy-request-page',
          requested: verified.kind,
          ...(verified.details ? { correction: verified.details } : {}),
        },
      },
    };
    // The request is built here, but checked as every OpenDSR request is.
    const checked = validateOpenDsrRequest(body);
    if (!checked.ok) throw new Error(`the request page built an invalid OpenDSR request: ${checked.message}`);
    await options.dsr.processor.accept(newDsrRecord(checked.request, options.expectedCompletionMs(), baseUrl(request)));
    const capability = options.tokens.issue(
      'status',
      { requestId: body.subject_request_id, kind: verified.kind } satisfies StatusCapability,
      options.statusLinkTtlMs,
    );
    const statusUrl = `${baseUrl(request)}/privacy/request/status/${capability}`;
    if (wantsPage(request.headers.accept)) return reply.code(303).header('location', statusUrl).header('cache-control', 'no-store').send();
    return reply.code(201).header('cache-control', 'no-store').send({ success: true, statusUrl });
  });

  const requestOf = async (request: FastifyRequest<{ Params: { token: string } }>) => {
    const capability = isTokenShaped(request.params.token) ? options.tokens.read<StatusCapability>('status', request.params.token) : undefined;
    const record = capability && (await options.dsr.store.get(capability.requestId));
    return capability && record ? { capability, record } : undefined;
  };

  app.get<{ Params: { token: string } }>('/privacy/request/status/:token', async (request, reply) => {
    enabled(reply);
    const found = await requestOf(request);
    if (!found) return refuse(request, reply, 404, 'NOT_FOUND', 'There is no request at this address, or its link has expired.');
    const { capability, record } = found;
    const hasExport = record.status === 'completed' && record.resultsToken !== undefined && !isExpired(record.resultsExpireAt);
    const view: RequestStatusView = {
      requestId: record.id,
      kind: capability.kind,
      status: record.status,
      receivedAt: record.receivedAt,
      expectedCompletionAt: record.expectedCompletionAt,
      ...(hasExport
        ? { exportUrl: `${baseUrl(request)}/privacy/request/status/${request.params.token}/export`, exportExpiresAt: record.resultsExpireAt! }
        : {}),
    };
    reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer');
    if (wantsPage(request.headers.accept)) return sendPage(reply, 200, 'Your privacy request', statusHtml(view));
    return { success: true, ...view };
  });

  app.get<{ Params: { token: string } }>('/privacy/request/status/:token/export', async (request, reply) => {
    enabled(reply);
    const found = await requestOf(request);
    const resultsToken = found?.record.status === 'completed' ? found.record.resultsToken : undefined;
    const results = resultsToken && (await options.dsr.processor.openResults(resultsToken));
    if (!found || !results) return refuse(request, reply, 404, 'NOT_FOUND', 'There is no export at this address (yet): the request may still be running.');
    if (isExpired(found.record.resultsExpireAt)) {
      results.destroy();
      return refuse(request, reply, 410, 'EXPIRED', 'This export has expired; ask again from the request page.');
    }
    return reply
      .type('application/x-ndjson')
      .headers({ 'content-disposition': 'attachment; filename="my-data.jsonl"', 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' })
      .send(results);
  });
};

function isLoopbackHost(host: string | undefined): boolean {
  const name = (host ?? '').replace(/:\d+$/, '').toLowerCase();
  return name === 'localhost' || name === '[::1]' || /^127(\.\d{1,3}){3}$/.test(name);
}

function isExpired(at: string | undefined): boolean {
  return at !== undefined && Date.parse(at) < Date.now();
}
