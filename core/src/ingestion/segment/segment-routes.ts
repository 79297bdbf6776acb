import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { CanonicalEvent } from '@switchyard/sdk-kit';
import type { SegmentSourceConfig } from '../../config/config-types.js';
import type { ResolvedSource } from '../../config/resolved-source.js';
import { badRequest, RequestError, type Problem } from '../../http-input/request-error.js';
import { parseBasicAuth } from '../../auth/basic-auth.js';
import { describeType, isPlainObject, optionalDate } from '../field-checks.js';
import { registerIngestionBody } from '../ingestion-body.js';
import { storeEvents } from '../ingestion-error.js';
import type { EventIntake } from '../../intake/event-intake.js';
import { parseSegmentMessage, SEGMENT_LIMITS, SEGMENT_TYPES, type SegmentType } from './segment-message.js';

export interface SegmentRoutesOptions {
  intake: EventIntake;
  /** Segment sources by write key, read per request so a reload takes effect at once. */
  sourcesByWriteKey: () => Map<string, ResolvedSource & SegmentSourceConfig>;
}

export const SEGMENT_PATHS = ['/v1/batch', '/v1/import', ...SEGMENT_TYPES.map((t) => `/v1/${t}`)];

/** Segment's HTTP Tracking API: `/v1/batch` and one route per message type, Basic auth with the write key. */
export const segmentRoutes: FastifyPluginAsync<SegmentRoutesOptions> = async (app: FastifyInstance, options) => {
  registerIngestionBody(app, SEGMENT_LIMITS.maxRequestBytes, segmentErrorBody);

  const handle = (routeType: SegmentType | undefined) => async (request: FastifyRequest, reply: FastifyReply) => {
    const body = request.body;
    if (!isPlainObject(body)) throw badRequest('INVALID_BODY', [{ path: '$', message: `must be a JSON object, got ${describeType(body)}` }]);
    const source = authenticate(request, body, options);
    request.sourceId = source.id;
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
        throw badRequest('BATCH_TOO_LARGE', [
          { path: '$.batch', message: `has ${batch.length} messages; the limit is ${SEGMENT_LIMITS.maxBatchEvents} per batch` },
        ]);
      }
      const batchContext = {
        sentAt: optionalDate(body.sentAt, '$.sentAt', problems),
        context: isPlainObject(body.context) ? body.context : undefined,
        integrations: isPlainObject(body.integrations) ? body.integrations : undefined,
      };
      batch.forEach((message, i) => {
        const parsed = parseSegmentMessage(message, undefined, `$.batch[${i}]`, { ...context, batch: batchContext });
        problems.push(...parsed.problems);
        if (parsed.event) events.push(parsed.event);
      });
    }
    if (problems.length) throw badRequest('INVALID_EVENT', problems);
    await storeEvents(options.intake, source, events);
    return reply.code(200).send({ success: true });
  };

  app.post('/batch', handle(undefined));
  app.post('/import', handle(undefined));
  for (const type of SEGMENT_TYPES) app.post(`/${type}`, handle(type));
};

/** The Segment API's error shape: `{"success":false,"code":…,"message":…,"errors":[{path,message}]}`. */
export function segmentErrorBody(error: RequestError) {
  return { success: false, code: error.code, message: error.message, ...(error.problems.length ? { errors: error.problems } : {}) };
}

function authenticate(request: FastifyRequest, body: Record<string, unknown>, options: SegmentRoutesOptions): ResolvedSource {
  const basic = parseBasicAuth(request.headers.authorization);
  const writeKey = basic?.user || (typeof body.writeKey === 'string' ? body.writeKey : undefined);
  if (!writeKey) {
    throw new RequestError(401, 'MISSING_WRITE_KEY', [
      { path: 'authorization', message: 'send the source\'s write key as the Basic auth user name (empty password) or as "writeKey" in the body' },
    ]);
  }
  const source = options.sourcesByWriteKey().get(writeKey);
  if (!source)
    throw new RequestError(403, 'INVALID_WRITE_KEY', [
      { path: 'authorization', message: "the write key does not belong to any Segment source in this router's config" },
    ]);
  return source;
}
