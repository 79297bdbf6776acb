import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { CanonicalEvent } from '@switchyard/sdk-kit';
import type { SegmentSourceConfig } from '../../config/config-types.js';
import type { ResolvedSource } from '../../config/resolved-source.js';
import { registerBrowserCors, requireAllowedOrigin } from '../../http-input/browser-cors.js';
import { browserUserAgent } from '../../http-input/browser-request.js';
import { badRequest, RequestError, type Problem } from '../../http-input/request-error.js';
import { parseBasicAuth } from '../../auth/basic-auth.js';
import { describeType, isPlainObject, optionalDate } from '../field-checks.js';
import { registerIngestionBody } from '../ingestion-body.js';
import { storeEvents } from '../ingestion-error.js';
import type { EventIntake } from '../../intake/event-intake.js';
import { parseSegmentMessage, SEGMENT_LIMITS, SEGMENT_TYPES, type SegmentType } from './segment-message.js';
import { segmentSettings } from './segment-settings.js';

export type SegmentSources = () => Map<string, ResolvedSource & SegmentSourceConfig>;

export interface SegmentRoutesOptions {
  intake: EventIntake;
  /** Segment sources by write key, read per request so a reload takes effect at once. */
  sourcesByWriteKey: SegmentSources;
  /** The router's public URL (`server.publicUrl`), which browser SDKs are told to send to; else the request's host. */
  publicUrl: () => string | undefined;
}

/** analytics.js posts to the first letter of each type (`/v1/t`), and batches to `/v1/b`. */
const SHORT_PATHS: Record<string, SegmentType> = Object.fromEntries(SEGMENT_TYPES.map((type) => [type.charAt(0), type]));

export const SEGMENT_PATHS = [
  '/v1/batch',
  '/v1/import',
  '/v1/b',
  ...SEGMENT_TYPES.map((t) => `/v1/${t}`),
  ...Object.keys(SHORT_PATHS).map((letter) => `/v1/${letter}`),
];

/**
 * Segment's HTTP Tracking API: `/v1/batch` and one route per message type (and analytics.js's short paths), Basic
 * auth with the write key or the key in the body; and the settings analytics.js loads before it sends anything.
 */
export const segmentRoutes: FastifyPluginAsync<SegmentRoutesOptions> = async (app: FastifyInstance, options) => {
  registerIngestionBody(app, SEGMENT_LIMITS.maxRequestBytes, segmentErrorBody);
  await registerBrowserCors(app, {
    sourceOf: (request) => {
      const writeKey = (request.params as { writeKey?: string } | undefined)?.writeKey;
      return writeKey === undefined ? undefined : options.sourcesByWriteKey().get(writeKey);
    },
    sources: () => options.sourcesByWriteKey().values(),
  });

  app.get<{ Params: { writeKey: string } }>('/projects/:writeKey/settings', async (request, reply) => {
    const source = options.sourcesByWriteKey().get(request.params.writeKey);
    if (!source) throw new RequestError(404, 'UNKNOWN_WRITE_KEY', [], "the write key does not belong to any Segment source in this router's config");
    requireAllowedOrigin(request, reply, source);
    return segmentSettings(source.writeKey, publicBaseOf(request, options.publicUrl()));
  });

  const handle = acceptSegmentRequest(options);
  app.post('/batch', handle(undefined));
  app.post('/import', handle(undefined));
  app.post('/b', handle(undefined));
  for (const type of SEGMENT_TYPES) app.post(`/${type}`, handle(type));
  for (const [letter, type] of Object.entries(SHORT_PATHS)) app.post(`/${letter}`, handle(type));
};

/**
 * The handler of one Segment route: a single message of `routeType`, or a batch when it is undefined. `queryKey`
 * lets the write key come from the query string, for beacons, which can send neither headers nor preflights.
 */
export function acceptSegmentRequest(options: Pick<SegmentRoutesOptions, 'intake' | 'sourcesByWriteKey'>, queryKey = false) {
  return (routeType: SegmentType | undefined) => async (request: FastifyRequest, reply: FastifyReply) => {
    const body = request.body;
    if (!isPlainObject(body)) throw badRequest('INVALID_BODY', [{ path: '$', message: `must be a JSON object, got ${describeType(body)}` }]);
    const source = authenticate(request, body, options.sourcesByWriteKey, queryKey);
    request.sourceId = source.id;
    requireAllowedOrigin(request, reply, source);
    const receivedAt = new Date().toISOString();
    const userAgent = browserUserAgent(request);
    const context = { sourceId: source.id, receivedAt, requestIp: request.ip, requestBytes: request.bodyBytes, ...(userAgent ? { userAgent } : {}) };
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
}

/** The Segment API's error shape: `{"success":false,"code":…,"message":…,"errors":[{path,message}]}`. */
export function segmentErrorBody(error: RequestError) {
  return { success: false, code: error.code, message: error.message, ...(error.problems.length ? { errors: error.problems } : {}) };
}

/** Where browsers reach this router: the configured public URL, else the scheme and host the request came to. */
export function publicBaseOf(request: FastifyRequest, publicUrl: string | undefined): URL {
  return new URL(publicUrl ?? `${request.protocol}://${request.host}`);
}

function authenticate(request: FastifyRequest, body: Record<string, unknown>, sources: SegmentSources, queryKey: boolean): ResolvedSource {
  const basic = parseBasicAuth(request.headers.authorization);
  const fromQuery = queryKey ? (request.query as { writeKey?: unknown } | undefined)?.writeKey : undefined;
  const writeKey = basic?.user || (typeof body.writeKey === 'string' ? body.writeKey : undefined) || (typeof fromQuery === 'string' ? fromQuery : undefined);
  if (!writeKey) {
    throw new RequestError(401, 'MISSING_WRITE_KEY', [
      {
        path: 'authorization',
        message: `send the source's write key as the Basic auth user name (empty password) or as "writeKey" in the body${queryKey ? ' or the query string' : ''}`,
      },
    ]);
  }
  const source = sources().get(writeKey);
  if (!source)
    throw new RequestError(403, 'INVALID_WRITE_KEY', [
      { path: 'authorization', message: "the write key does not belong to any Segment source in this router's config" },
    ]);
  return source;
}
