import type { FastifyError, FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { CanonicalEvent } from '@switchyard/sdk-kit';
import type { SegmentSourceConfig } from '../../config/config-types.js';
import type { ResolvedSource } from '../../config/resolve-config.js';
import { parseBasicAuth } from '../basic-auth.js';
import { isPlainObject, describeType } from '../field-checks.js';
import { IngestionError, badRequest, fromFastifyError, type Problem } from '../ingestion-error.js';
import type { EventIntake } from '../../intake/event-intake.js';
import { registerJsonBodyParser } from '../request-body.js';
import { parseSegmentMessage, SEGMENT_LIMITS, SEGMENT_TYPES, type SegmentType } from './segment-message.js';

export interface SegmentRoutesOptions {
  intake: EventIntake;
  /** Segment sources by write key, read per request so a reload takes effect at once. */
  sourcesByWriteKey: () => Map<string, ResolvedSource & SegmentSourceConfig>;
}

export const SEGMENT_PATHS = ['/v1/batch', '/v1/import', ...SEGMENT_TYPES.map((t) => `/v1/${t}`)];

/** Segment's HTTP Tracking API: `/v1/batch` and one route per message type, Basic auth with the write key. */
export const segmentRoutes: FastifyPluginAsync<SegmentRoutesOptions> = async (app: FastifyInstance, options) => {
  registerJsonBodyParser(app, () => ({ maxBytes: SEGMENT_LIMITS.maxRequestBytes }));
  app.setErrorHandler((error: FastifyError, request, reply) => sendError(reply, request, error));

  const handle = (routeType: SegmentType | undefined) => async (request: FastifyRequest, reply: FastifyReply) => {
    const body = request.body;
    if (!isPlainObject(body)) throw badRequest('INVALID_BODY', [{ path: '$', message: `must be a JSON object, got ${describeType(body)}` }]);
    const source = authenticate(request, body, options);
    const receivedAt = new Date().toISOString();
    const context = { sourceId: source.id, receivedAt, requestIp: request.ip, requestBytes: request.bodyBytes };
    const problems: Problem[] = [];
    const events: CanonicalEvent[] = [];
    if (routeType) {
      const parsed = parseSegmentMessage(body, routeType, '$', context);
      problems.push(...parsed.problems);
      if (parsed.event) events.push(parsed.event);
    } else {
      const batch = body.batch;
      if (!Array.isArray(batch)) throw badRequest('INVALID_BATCH', [{ path: '$.batch', message: `must be an array of messages, got ${describeType(batch)}` }]);
      if (batch.length > SEGMENT_LIMITS.maxBatchEvents) {
        throw badRequest('BATCH_TOO_LARGE', [{ path: '$.batch', message: `has ${batch.length} messages; the limit is ${SEGMENT_LIMITS.maxBatchEvents} per batch` }]);
      }
      const batchContext = {
        sentAt: typeof body.sentAt === 'string' && !Number.isNaN(Date.parse(body.sentAt)) ? new Date(body.sentAt).toISOString() : undefined,
        context: isPlainObject(body.context) ? body.context : undefined,
        integrations: isPlainObject(body.integrations) ? body.integrations : undefined,
      };
      batch.forEach((message, i) => {
        const parsed = parseSegmentMessage(message, undefined, `$.batch[${i}]`, { ...context, batch: batchContext });
        problems.push(...parsed.problems);
        if (parsed.event) events.push(parsed.event);
      });
    }
    if (problems.length) throw badRequest('INVALID_EVENT', problems.slice(0, 50));
    await options.intake.accept(source, events);
    return reply.code(200).send({ success: true });
  };

  app.post('/batch', handle(undefined));
  app.post('/import', handle(undefined));
  for (const type of SEGMENT_TYPES) app.post(`/${type}`, handle(type));
};

function authenticate(request: FastifyRequest, body: Record<string, unknown>, options: SegmentRoutesOptions): ResolvedSource {
  const basic = parseBasicAuth(request.headers.authorization);
  const writeKey = basic?.user || (typeof body.writeKey === 'string' ? body.writeKey : undefined);
  if (!writeKey) {
    throw new IngestionError(401, 'MISSING_WRITE_KEY', [{ path: 'authorization', message: 'send the source\'s write key as the Basic auth user name (empty password) or as "writeKey" in the body' }]);
  }
  const source = options.sourcesByWriteKey().get(writeKey);
  if (!source) throw new IngestionError(403, 'INVALID_WRITE_KEY', [{ path: 'authorization', message: 'the write key does not belong to any Segment source in this router\'s config' }]);
  return source;
}

function sendError(reply: FastifyReply, request: FastifyRequest, error: FastifyError | IngestionError) {
  const known = error instanceof IngestionError ? error : fromFastifyError(error);
  if (!known) {
    request.log.error({ err: error }, 'ingestion failed');
    return reply.code(503).send({ success: false, code: 'NOT_STORED', message: 'the events could not be stored; nothing was accepted, retry later' });
  }
  return reply.code(known.statusCode).send({
    success: false,
    code: known.code,
    message: known.message,
    errors: known.problems,
  });
}
