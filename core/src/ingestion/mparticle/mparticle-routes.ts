import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { CanonicalEvent } from '@switchyard/sdk-kit';
import type { MparticleSourceConfig } from '../../config/config-types.js';
import type { ResolvedSource } from '../../config/resolved-source.js';
import { matchBasicCredentials } from '../../auth/mparticle-credentials.js';
import { badRequest, RequestError, type Problem } from '../../http-input/request-error.js';
import { describeType } from '../field-checks.js';
import { registerIngestionBody } from '../ingestion-body.js';
import { storeEvents } from '../ingestion-error.js';
import type { EventIntake } from '../../intake/event-intake.js';
import { MPARTICLE_LIMITS, parseMparticleBatch } from './mparticle-batch.js';

export interface MparticleRoutesOptions {
  intake: EventIntake;
  sourcesByApiKey: () => Map<string, ResolvedSource & MparticleSourceConfig>;
}

export const MPARTICLE_PATHS = ['/v2/events', '/v2/bulkevents'];

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

/** mParticle Events API v2: `/v2/events` (one batch) and `/v2/bulkevents` (up to 100), Basic auth key:secret. */
export const mparticleRoutes: FastifyPluginAsync<MparticleRoutesOptions> = async (app: FastifyInstance, options) => {
  registerIngestionBody(app, MPARTICLE_LIMITS.maxBulkBytes, mparticleErrorBody, ['mpid', 'previous_mpid']);
  // Credentials are in the header, so they are checked before the body is read or decompressed.
  app.addHook('onRequest', async (request) => {
    request.source = authenticate(request, options);
  });

  const accept = async (request: FastifyRequest, reply: FastifyReply, batches: unknown[], bulk: boolean) => {
    const source = request.source!;
    const receivedAt = new Date().toISOString();
    const problems: Problem[] = [];
    const events: CanonicalEvent[] = [];
    batches.forEach((batch, i) => {
      const parsed = parseMparticleBatch(batch, bulk ? `$[${i}]` : '$', { sourceId: source.id, receivedAt, requestIp: request.ip });
      problems.push(...parsed.problems);
      events.push(...parsed.events);
    });
    if (problems.length) throw badRequest('BAD_REQUEST', problems);
    await storeEvents(options.intake, source, events);
    return reply.code(202).send();
  };

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
};

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
