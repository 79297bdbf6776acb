import Database from 'better-sqlite3';
import { join } from 'node:path';
import type { FastifyError, FastifyPluginAsync } from 'fastify';
import type { PrivacyConfig, PrivacyPagesConfig } from '../config/config-types.js';
import type { DsrServices } from '../dsr/dsr-services.js';
import { fromFastifyError, RequestError } from '../http-input/request-error.js';
import type { PrivacyGate } from '../privacy/privacy-gate.js';
import type { EventRouting } from '../routing/event-routing.js';
import { CapabilityTokens } from './capability-tokens.js';
import { consentRoutes } from './consent-routes.js';
import { escapeHtml, sendPage, wantsPage } from './html.js';
import { PageLimits } from './page-limits.js';
import { requestRoutes } from './request-routes.js';

export interface PrivacyPagesOptions {
  storageDir: string;
  config: () => PrivacyPagesConfig;
  privacy: () => PrivacyConfig;
  gate: Pick<PrivacyGate, 'recordConsent' | 'personsOf'>;
  dsr: Pick<DsrServices, 'store' | 'processor' | 'signer'>;
  routing: Pick<EventRouting, 'sendRequestedMessage'>;
  publicUrl: () => string | undefined;
  expectedCompletionMs: () => number;
  resultsTtlMs: number;
}

/** Largest body the pages take (a form with an email and a correction, or a consent choice). */
const MAX_BODY_BYTES = 16 * 1024;
const WEEK_MS = 7 * 24 * 3600 * 1000;

/** The error shape of the privacy pages' JSON answers. */
export function privacyPagesErrorBody(error: RequestError): unknown {
  return { success: false, code: error.code, message: error.message, problems: error.problems };
}

/**
 * What end users see, served by the router: the consent banner (`/consent.js` and its frame) and the data-subject
 * request page (`/privacy/request`). Their tokens live in `privacy-pages.db` in the storage dir.
 */
export const privacyPagesRoutes: FastifyPluginAsync<PrivacyPagesOptions> = async (app, options) => {
  const db = new Database(join(options.storageDir, 'privacy-pages.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  app.addHook('onClose', async () => {
    if (db.open) db.close();
  });
  const tokens = new CapabilityTokens(db);
  const limits = new PageLimits();

  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: MAX_BODY_BYTES }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });
  app.addHook('onRoute', (route) => {
    route.bodyLimit ??= MAX_BODY_BYTES;
  });
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const known = error instanceof RequestError ? error : fromFastifyError(error);
    if (!known) request.log.error({ err: error }, 'privacy page failed');
    const answer = known ?? new RequestError(500, 'INTERNAL_ERROR', [], 'internal error');
    if (wantsPage(request.headers.accept))
      return sendPage(reply, answer.statusCode, 'Your privacy choices', `<p role="alert" class="error">${escapeHtml(answer.message)}</p>`);
    return reply.code(answer.statusCode).header('cache-control', 'no-store').send(privacyPagesErrorBody(answer));
  });

  await app.register(consentRoutes, {
    config: () => options.config().consent,
    privacy: options.privacy,
    gate: options.gate,
    limits,
    publicUrl: options.publicUrl,
  });
  await app.register(requestRoutes, {
    config: () => options.config().requests,
    tokens,
    dsr: options.dsr,
    routing: options.routing,
    limits,
    publicUrl: options.publicUrl,
    expectedCompletionMs: options.expectedCompletionMs,
    processorDomain: options.dsr.signer.processorDomain,
    statusLinkTtlMs: options.resultsTtlMs + WEEK_MS,
  });
};
