import type { FastifyError, FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { CanonicalEvent } from '@switchyard/sdk-kit';
import type { MparticleSourceConfig } from '../../config/config-types.js';
import type { ResolvedSource } from '../../config/resolve-config.js';
import { constantTimeEqual } from '../../auth/constant-time-equal.js';
import { parseBasicAuth } from '../basic-auth.js';
import { describeType } from '../field-checks.js';
import { IngestionError, badRequest, fromFastifyError, type Problem } from '../ingestion-error.js';
import type { EventIntake } from '../../intake/event-intake.js';
import { registerJsonBodyParser } from '../request-body.js';
import { MPARTICLE_LIMITS, parseMparticleBatch } from './mparticle-batch.js';

export interface MparticleRoutesOptions {
  intake: EventIntake;
  sourcesByApiKey: () => Map<string, ResolvedSource & MparticleSourceConfig>;
}

export const MPARTICLE_PATHS = ['/v2/events', '/v2/bulkevents'];

const ERROR_CODES: Record<number, string> = { 400: 'BAD_REQUEST', 401: 'UNAUTHORIZED', 403: 'FORBIDDEN', 413: 'PAYLOAD_TOO_LARGE', 415: 'UNSUPPORTED_MEDIA_TYPE' };

/** mParticle Events API v2: `/v2/events` (one batch) and `/v2/bulkevents` (up to 100), Basic auth key:secret. */
export const mparticleRoutes: FastifyPluginAsync<MparticleRoutesOptions> = async (app: FastifyInstance, options) => {
  registerJsonBodyParser(app, (request) => ({ maxBytes: request.url.includes('bulk') ? MPARTICLE_LIMITS.maxBulkBytes : MPARTICLE_LIMITS.maxBatchBytes }));
  app.setErrorHandler((error: FastifyError, request, reply) => sendError(reply, request, error));
  // Credentials are in the header, so they are checked before the body is read or decompressed.
  app.addHook('onRequest', async (request) => { request.source = authenticate(request, options); });

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
    if (problems.length) throw badRequest('BAD_REQUEST', problems.slice(0, 50));
    await options.intake.accept(source, events);
    return reply.code(202).send();
  };

  app.post('/events', async (request, reply) => {
    if (Array.isArray(request.body)) throw badRequest('BAD_REQUEST', [{ path: '$', message: 'must be one batch object; send arrays of batches to /v2/bulkevents' }]);
    return accept(request, reply, [request.body], false);
  });
  app.post('/bulkevents', async (request, reply) => {
    const body = request.body;
    if (!Array.isArray(body)) throw badRequest('BAD_REQUEST', [{ path: '$', message: `must be an array of batches, got ${describeType(body)}` }]);
    if (body.length > MPARTICLE_LIMITS.maxBulkBatches) {
      throw badRequest('BAD_REQUEST', [{ path: '$', message: `has ${body.length} batches; the limit is ${MPARTICLE_LIMITS.maxBulkBatches} per request` }]);
    }
    return accept(request, reply, body, true);
  });
};

declare module 'fastify' {
  interface FastifyRequest { source?: ResolvedSource }
}

function authenticate(request: FastifyRequest, options: MparticleRoutesOptions): ResolvedSource {
  const credentials = parseBasicAuth(request.headers.authorization);
  if (!credentials?.user) throw new IngestionError(401, 'UNAUTHORIZED', [{ path: 'authorization', message: 'send HTTP Basic auth with the source\'s API key and secret' }]);
  const source = options.sourcesByApiKey().get(credentials.user);
  if (!source || !constantTimeEqual(source.apiSecret, credentials.password)) {
    throw new IngestionError(403, 'FORBIDDEN', [{ path: 'authorization', message: 'the API key and secret do not match an mParticle source in this router\'s config' }]);
  }
  return source;
}

function sendError(reply: FastifyReply, request: FastifyRequest, error: FastifyError | IngestionError) {
  const known = error instanceof IngestionError ? error : fromFastifyError(error);
  if (!known) {
    request.log.error({ err: error }, 'ingestion failed');
    return reply.code(503).send({ errors: [{ code: 'SERVICE_UNAVAILABLE', message: 'the events could not be stored; nothing was accepted, retry later' }] });
  }
  return reply.code(known.statusCode).send({
    errors: known.problems.map((p) => ({ code: ERROR_CODES[known.statusCode] ?? known.code, message: `${p.path}: ${p.message}`, path: p.path })),
  });
}
