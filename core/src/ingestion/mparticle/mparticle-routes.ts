import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { CanonicalEvent } from '@switchyard/sdk-kit';
import type { MparticleSourceConfig } from '../../config/config-types.js';
import type { ResolvedSource } from '../../config/resolved-source.js';
import { matchBasicCredentials } from '../../auth/mparticle-credentials.js';
import { checkMparticleSignature } from '../../auth/mparticle-signature.js';
import { registerBrowserCors, requireAllowedOrigin } from '../../http-input/browser-cors.js';
import { browserUserAgent } from '../../http-input/browser-request.js';
import { badRequest, RequestError, type Problem } from '../../http-input/request-error.js';
import { describeType } from '../field-checks.js';
import { registerIngestionBody } from '../ingestion-body.js';
import { storeEvents } from '../ingestion-error.js';
import type { EventIntake } from '../../intake/event-intake.js';
import { MPARTICLE_LIMITS, parseMparticleBatch } from './mparticle-batch.js';
import { eventsApiBatchOf, isNativeSdkBatch } from './native-sdk-batch.js';

export type MparticleSources = () => Map<string, ResolvedSource & MparticleSourceConfig>;

export interface MparticleRoutesOptions {
  intake: EventIntake;
  sourcesByApiKey: MparticleSources;
}

export const MPARTICLE_PATHS = ['/v2/events', '/v2/bulkevents'];

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route authenticates its own way (a signature, a web source's key in the path), not with Basic auth. */
    ownAuth?: boolean;
  }
}

const ERROR_CODES: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  408: 'REQUEST_TIMEOUT',
  413: 'PAYLOAD_TOO_LARGE',
  414: 'URI_TOO_LONG',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  417: 'EXPECTATION_FAILED',
  431: 'HEADERS_TOO_LARGE',
  500: 'INTERNAL_SERVER_ERROR',
  503: 'SERVICE_UNAVAILABLE',
};

/**
 * mParticle Events API v2: `/v2/events` (one batch) and `/v2/bulkevents` (up to 100), Basic auth key:secret; and
 * `/v2/{apiKey}/events`, where the mobile SDKs post batches signed with HMAC-SHA256 (`x-mp-signature`).
 */
export const mparticleRoutes: FastifyPluginAsync<MparticleRoutesOptions> = async (app: FastifyInstance, options) => {
  registerIngestionBody(app, MPARTICLE_LIMITS.maxBulkBytes, mparticleErrorBody, ['mpid', 'previous_mpid']);
  await registerBrowserCors(app, { sources: () => options.sourcesByApiKey().values() });
  // Credentials are in the header, so they are checked before the body is read or decompressed.
  app.addHook('onRequest', async (request, reply) => {
    if (request.method === 'OPTIONS' || request.routeOptions.config.ownAuth) return;
    request.source = authenticate(request, options);
    requireAllowedOrigin(request, reply, request.source);
  });

  const accept = acceptMparticleBatches(options.intake);

  app.post('/events', { bodyLimit: MPARTICLE_LIMITS.maxBatchBytes }, async (request, reply) => {
    if (Array.isArray(request.body))
      throw badRequest('BAD_REQUEST', [{ path: '$', message: 'must be one batch object; send arrays of batches to /v2/bulkevents' }]);
    return accept(request, reply, [request.body], false);
  });
  app.post('/bulkevents', async (request, reply) => {
    const body = request.body;
    if (!Array.isArray(body)) throw badRequest('BAD_REQUEST', [{ path: '$', message: `must be an array of batches, got ${describeType(body)}` }]);
    if (body.length > MPARTICLE_LIMITS.maxBulkBatches) {
      throw badRequest('BAD_REQUEST', [{ path: '$', message: `has ${body.length} batches; the limit is ${MPARTICLE_LIMITS.maxBulkBatches} per request` }]);
    }
    const events = body.reduce<number>(
      (sum, batch) => sum + (Array.isArray((batch as { events?: unknown } | null)?.events) ? (batch as { events: unknown[] }).events.length : 0),
      0,
    );
    if (events > MPARTICLE_LIMITS.maxEventsPerRequest) {
      throw badRequest('BAD_REQUEST', [
        { path: '$', message: `carries ${events} events in all; the limit is ${MPARTICLE_LIMITS.maxEventsPerRequest} per request, so split it` },
      ]);
    }
    return accept(request, reply, body, true);
  });

  app.post<{ Params: { apiKey: string } }>(
    '/:apiKey/events',
    { bodyLimit: MPARTICLE_LIMITS.maxBatchBytes, config: { ownAuth: true } },
    async (request, reply) => {
      request.source = verifySignedRequest(request, options.sourcesByApiKey());
      const body = request.body;
      if (Array.isArray(body)) throw badRequest('BAD_REQUEST', [{ path: '$', message: 'must be one batch object' }]);
      return accept(request, reply, [isNativeSdkBatch(body) ? eventsApiBatchOf(body) : body], false);
    },
  );
};

/** Stores the events of one request's batches (already authenticated as `request.source`) and answers 202. */
export function acceptMparticleBatches(intake: EventIntake) {
  return async (request: FastifyRequest, reply: FastifyReply, batches: unknown[], bulk: boolean) => {
    const source = request.source!;
    const receivedAt = new Date().toISOString();
    const userAgent = browserUserAgent(request);
    const context = { sourceId: source.id, receivedAt, requestIp: request.ip, ...(userAgent ? { userAgent } : {}) };
    const problems: Problem[] = [];
    const events: CanonicalEvent[] = [];
    batches.forEach((batch, i) => {
      const parsed = parseMparticleBatch(batch, bulk ? `$[${i}]` : '$', context);
      problems.push(...parsed.problems);
      events.push(...parsed.events);
    });
    if (problems.length) throw badRequest('BAD_REQUEST', problems);
    await storeEvents(intake, source, events);
    return reply.code(202).send();
  };
}

/**
 * A mobile SDK's batch: the key in the path must match `x-mp-key` when sent, and `x-mp-signature` must be the HMAC of
 * the request under that source's secret, dated within the accepted window. Every failure is 401, as mParticle answers.
 */
function verifySignedRequest(request: FastifyRequest<{ Params: { apiKey: string } }>, sources: ReturnType<MparticleSources>): ResolvedSource {
  const apiKey = request.params.apiKey;
  const headerKey = request.headers['x-mp-key'];
  const source = sources.get(apiKey);
  const unauthorized = (path: string, message: string) => new RequestError(401, 'UNAUTHORIZED', [{ path, message }]);
  if (typeof headerKey === 'string' && headerKey !== apiKey) throw unauthorized('x-mp-key', 'must be the API key in the path');
  if (!source) throw unauthorized('path', "the API key in the path is not the key of an mParticle source in this router's config");
  request.sourceId = source.id;
  const date = request.headers.date;
  const signature = request.headers['x-mp-signature'];
  const check = checkMparticleSignature(source.apiSecret, {
    method: request.method,
    path: request.url,
    date,
    body: request.bodyText ?? '',
    signature: typeof signature === 'string' ? signature : undefined,
  });
  if (check === 'missing')
    throw unauthorized('x-mp-signature', 'send the Date header and x-mp-signature (hex HMAC-SHA256 of METHOD\\nDATE\\nPATH+BODY with the API secret)');
  if (check === 'stale')
    throw unauthorized('date', "the Date header is missing, unreadable or more than 15 minutes from the router's clock; sign with the current time");
  if (check === 'mismatch') throw unauthorized('x-mp-signature', "does not match this request signed with the source's API secret");
  return source;
}

declare module 'fastify' {
  interface FastifyRequest {
    source?: ResolvedSource;
  }
}

/** The Events API's error shape: `{"errors":[{"code":"BAD_REQUEST","message":"$.mpid: …","path":"$.mpid"}]}`. */
export function mparticleErrorBody(error: RequestError) {
  const code = ERROR_CODES[error.statusCode] ?? error.code;
  if (error.problems.length === 0) return { errors: [{ code, message: error.message }] };
  const errors: Array<{ code: string; message: string; path?: string }> = error.problems.map((p) => ({
    code,
    message: `${p.path}: ${p.message}`,
    path: p.path,
  }));
  if (error.problemCount > error.problems.length)
    errors.push({ code, message: `and ${error.problemCount - error.problems.length} more problems (${error.problemCount} in all)` });
  return { errors };
}

function authenticate(request: FastifyRequest, options: MparticleRoutesOptions): ResolvedSource {
  const checked = matchBasicCredentials(request.headers.authorization, options.sourcesByApiKey());
  if ('source' in checked) {
    request.sourceId = checked.source.id;
    return checked.source;
  }
  if (checked.failure === 'missing')
    throw new RequestError(401, 'UNAUTHORIZED', [{ path: 'authorization', message: "send HTTP Basic auth with the source's API key and secret" }]);
  throw new RequestError(403, 'FORBIDDEN', [
    { path: 'authorization', message: "the API key and secret do not match an mParticle source in this router's config" },
  ]);
}
