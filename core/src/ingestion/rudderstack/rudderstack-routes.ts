import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import { parseBasicAuth } from '../../auth/basic-auth.js';
import { registerBrowserCors, requireAllowedOrigin } from '../../http-input/browser-cors.js';
import { RequestError } from '../../http-input/request-error.js';
import { registerIngestionBody } from '../ingestion-body.js';
import { SEGMENT_LIMITS } from '../segment/segment-message.js';
import { acceptSegmentRequest, segmentErrorBody, type SegmentRoutesOptions, type SegmentSources } from '../segment/segment-routes.js';
import { rudderstackSourceConfig } from './rudderstack-source-config.js';

/**
 * RudderStack's JS SDK speaks Segment's event spec, so it sends to Segment sources: its events go to `/v1/{type}`
 * and `/v1/batch` (the Segment routes), and here are the two things it asks for that Segment's API has not: the
 * control plane's `/sourceConfig/?writeKey=…` it loads first, and `/beacon/v1/batch?writeKey=…` for `useBeacon`.
 */
export const RUDDERSTACK_PREFIXES = { sourceConfig: '/sourceConfig', beacon: '/beacon/v1' } as const;

const writeKeyInQuery = (request: FastifyRequest) => {
  const writeKey = (request.query as { writeKey?: unknown } | undefined)?.writeKey;
  return typeof writeKey === 'string' ? writeKey : undefined;
};

export const rudderstackConfigRoutes: FastifyPluginAsync<{ sourcesByWriteKey: SegmentSources }> = async (app: FastifyInstance, options) => {
  registerIngestionBody(app, SEGMENT_LIMITS.maxRequestBytes, segmentErrorBody);
  const sourceOf = (request: FastifyRequest) => {
    const writeKey = writeKeyInQuery(request);
    return writeKey === undefined ? undefined : options.sourcesByWriteKey().get(writeKey);
  };
  await registerBrowserCors(app, { sourceOf, sources: () => options.sourcesByWriteKey().values() });
  app.get('/', async (request, reply) => {
    const writeKey = parseBasicAuth(request.headers.authorization)?.user || writeKeyInQuery(request);
    if (!writeKey)
      throw new RequestError(401, 'MISSING_WRITE_KEY', [{ path: 'writeKey', message: 'send the write key as ?writeKey= or as the Basic auth user name' }]);
    const source = options.sourcesByWriteKey().get(writeKey);
    if (!source) throw new RequestError(404, 'UNKNOWN_WRITE_KEY', [], "the write key does not belong to any Segment source in this router's config");
    requireAllowedOrigin(request, reply, source);
    return rudderstackSourceConfig(source);
  });
};

/** `navigator.sendBeacon` can send neither headers nor a preflight: the write key is in the query string. */
export const rudderstackBeaconRoutes: FastifyPluginAsync<Pick<SegmentRoutesOptions, 'intake' | 'sourcesByWriteKey'>> = async (
  app: FastifyInstance,
  options,
) => {
  registerIngestionBody(app, SEGMENT_LIMITS.maxRequestBytes, segmentErrorBody);
  const sourceOf = (request: FastifyRequest) => {
    const writeKey = writeKeyInQuery(request);
    return writeKey === undefined ? undefined : options.sourcesByWriteKey().get(writeKey);
  };
  await registerBrowserCors(app, { sourceOf, sources: () => options.sourcesByWriteKey().values() });
  app.post('/batch', acceptSegmentRequest(options, true)(undefined));
};
