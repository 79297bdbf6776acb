import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { adminRoutes } from '../admin/admin-routes.js';
import { dashboardRoutes } from '../admin/dashboard-routes.js';
import { registerProfileApi } from '../admin/profile-routes.js';
import { adminError, bearerAuth } from '../auth/bearer-auth.js';
import { constantTimeEqual } from '../auth/constant-time-equal.js';
import type { EventTraces } from '../operations/event-traces.js';
import type { LiveRoutesOptions } from '../admin/live-routes.js';
import type { RecentErrors } from '../operations/recent-errors.js';
import type { RouterMetrics } from '../operations/router-metrics.js';
import type { ThroughputHistory } from '../operations/throughput-history.js';
import type { IdentityGraph } from '../identity/identity-graph.js';
import type { DeliveryQueue } from '../queue/delivery-queue.js';
import type { DeliveryRuntime } from '../delivery/delivery-runtime.js';
import type { AudienceServices } from '../audiences/audience-services.js';
import type { SyncLifecycle } from '../audience-syncs/sync-lifecycle.js';
import type { DsrServices } from '../dsr/dsr-services.js';
import { openDsrRoutes } from '../dsr/opendsr-routes.js';
import { ClientRateLimit } from '../http-input/client-rate-limit.js';
import { INPUT_LIMITS } from '../http-input/input-limits.js';
import { fromFastifyError, RequestError } from '../http-input/request-error.js';
import { ALIAS_PREFIX, aliasRoutes } from '../identity/alias-routes.js';
import { IDSYNC_PATHS, IDSYNC_PREFIX, idsyncRoutes } from '../identity/idsync-routes.js';
import type { EventIntake } from '../intake/event-intake.js';
import { MPARTICLE_PATHS, mparticleRoutes, type MparticleRoutesOptions } from '../ingestion/mparticle/mparticle-routes.js';
import { MPARTICLE_WEB_PREFIXES, mparticleWebRoutes } from '../ingestion/mparticle/mparticle-web-routes.js';
import { RUDDERSTACK_PREFIXES, rudderstackBeaconRoutes, rudderstackConfigRoutes } from '../ingestion/rudderstack/rudderstack-routes.js';
import { SEGMENT_PATHS, segmentRoutes, type SegmentRoutesOptions } from '../ingestion/segment/segment-routes.js';
import type { Logger } from '../logging.js';
import type { PrivacyServices } from '../privacy/privacy-services.js';
import type { EventRouting } from '../routing/event-routing.js';
import { answerClientError, answerUnknownExpectations, requireHost } from './protocol-errors.js';
import { errorBodyFor, ingestionApiOf } from './route-families.js';
import { trackIdleConnections } from './idle-connections.js';

export interface HttpServerDeps {
  log: Logger;
  trustProxy: boolean;
  intake: EventIntake;
  runtime: DeliveryRuntime;
  privacy: PrivacyServices;
  identity: IdentityGraph;
  queue: Pick<DeliveryQueue, 'findByIdentity'>;
  dsr: DsrServices;
  audiences: AudienceServices;
  audienceSyncs: SyncLifecycle;
  routing: EventRouting;
  adminTokens: () => readonly string[];
  publicUrl: () => string | undefined;
  expectedCompletionMs: () => number;
  sourcesByWriteKey: SegmentRoutesOptions['sourcesByWriteKey'];
  sourcesByApiKey: MparticleRoutesOptions['sourcesByApiKey'];
  metrics: RouterMetrics;
  recentErrors: RecentErrors;
  traces: EventTraces;
  live: LiveRoutesOptions;
  /** Samples of the counters over the last minutes, for `GET /admin/v1/throughput` and the dashboard's charts. */
  throughput: Pick<ThroughputHistory, 'report'>;
  queueDepth: () => Promise<Record<string, number>>;
  oldestQueuedAt: () => Promise<Record<string, number>>;
  /** When set, `/metrics` asks for this bearer token (or an admin token). */
  metricsToken: () => string | undefined;
  /** Why the router is not ready to take traffic (empty: ready), for `/ready`. */
  readiness: () => Promise<string[]>;
  /** Extra admin read-outs (ingestion counters), served under /admin/v1. */
  stats: () => Record<string, unknown>;
}

const POST_ONLY_PATHS = new Set([...SEGMENT_PATHS, ...MPARTICLE_PATHS, ...IDSYNC_PATHS]);

/**
 * One fastify server with the ingestion (Segment, mParticle), IDSync, admin and OpenDSR APIs and the operator
 * dashboard as separate plugins.
 */
export async function buildHttpServer(deps: HttpServerDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.log.child({ component: 'http' }) as unknown as FastifyBaseLogger,
    // Per-request lines would double the log volume of ingestion; errors are logged where they happen.
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: deps.trustProxy,
    return503OnClosing: true,
    // SDKs and proxies add a trailing slash; /v1/track/ is /v1/track.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: INPUT_LIMITS.maxPathSegmentLength },
    // Node would answer a missing Host with an empty 400; requireHost answers it in the API's shape.
    http: { requireHostHeader: false, maxHeaderSize: INPUT_LIMITS.maxHeaderBytes },
    clientErrorHandler: answerClientError,
    frameworkErrors: answerUrlError,
  });
  answerUnknownExpectations(app.server);
  const connections = trackIdleConnections(app.server);
  // Registered before the plugins so that every route inherits them; each API plugin sets its own error handler.
  app.addHook('onRequest', requireHost);
  app.addHook('onResponse', async (request, reply) => {
    const api = ingestionApiOf(request.url);
    const status = reply.statusCode;
    const rejection = status >= 400 ? (request.rejection ?? `HTTP_${status}`) : undefined;
    // Acknowledgement latency is of events accepted (POST); preflights and the SDKs' settings reads are not ingestion.
    if (api && request.method !== 'OPTIONS' && (rejection || request.method === 'POST'))
      deps.metrics.observeIngestion(api, reply.elapsedTime / 1000, request.sourceId, rejection);
    // The access log: never bodies, query strings or credentials.
    request.log.info(
      {
        method: request.method,
        route: request.routeOptions.url ?? request.url.split('?')[0],
        status,
        ms: Math.round(reply.elapsedTime * 10) / 10,
        ...(request.sourceId ? { source: request.sourceId } : {}),
        ...(rejection ? { reason: rejection } : {}),
      },
      rejection ? 'request refused' : 'request',
    );
  });
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const known = error instanceof RequestError ? error : fromFastifyError(error);
    if (!known) request.log.error({ err: error }, 'request failed');
    const answer = known ?? new RequestError(500, 'INTERNAL_ERROR', [], 'internal error');
    return reply.code(answer.statusCode).send(errorBodyFor(request.url)(answer));
  });

  // Ingestion and the SDKs' settings: each plugin answers CORS for its own sources; nothing else gets CORS.
  await app.register(segmentRoutes, { prefix: '/v1', intake: deps.intake, sourcesByWriteKey: deps.sourcesByWriteKey, publicUrl: deps.publicUrl });
  await app.register(rudderstackConfigRoutes, { prefix: RUDDERSTACK_PREFIXES.sourceConfig, sourcesByWriteKey: deps.sourcesByWriteKey });
  await app.register(rudderstackBeaconRoutes, { prefix: RUDDERSTACK_PREFIXES.beacon, intake: deps.intake, sourcesByWriteKey: deps.sourcesByWriteKey });
  await app.register(mparticleRoutes, { prefix: '/v2', intake: deps.intake, sourcesByApiKey: deps.sourcesByApiKey });
  // One budget per web source and client address, for every route that takes a web source's key alone.
  const webLimit = new ClientRateLimit(INPUT_LIMITS.webSource.requestsPerWindow, INPUT_LIMITS.webSource.windowMs);
  const web = { intake: deps.intake, sourcesByApiKey: deps.sourcesByApiKey, limit: webLimit };
  for (const prefix of MPARTICLE_WEB_PREFIXES.events) await app.register(mparticleWebRoutes, { prefix, serves: 'events', ...web });
  await app.register(mparticleWebRoutes, { prefix: MPARTICLE_WEB_PREFIXES.config, serves: 'config', ...web });
  // mParticle's first-party layout for IDSync, clear of Segment's /v1/identify.
  await app.register(idsyncRoutes, {
    prefix: IDSYNC_PREFIX,
    graph: deps.identity,
    sourcesByApiKey: deps.sourcesByApiKey,
    errorBody: errorBodyFor(IDSYNC_PREFIX),
    webLimit,
  });
  await app.register(aliasRoutes, {
    prefix: ALIAS_PREFIX,
    graph: deps.identity,
    sourcesByApiKey: deps.sourcesByApiKey,
    errorBody: errorBodyFor(ALIAS_PREFIX),
    webLimit,
  });
  await app.register(adminRoutes, {
    prefix: '/admin/v1',
    tokens: deps.adminTokens,
    identity: deps.identity,
    queue: deps.queue,
    queueDepth: deps.queueDepth,
    oldestQueuedAt: deps.oldestQueuedAt,
    recentErrors: (id) => deps.recentErrors.of(id),
    trace: (messageId) => deps.traces.get(messageId),
    throughput: (sinceMs) => deps.throughput.report(sinceMs),
    suppressions: deps.privacy.suppressions,
    audit: deps.privacy.audit,
    gate: deps.privacy.gate,
    profiles: deps.privacy.profiles,
    runtime: deps.runtime,
    stats: deps.stats,
    filtered: () => deps.routing.filterCounts(),
    audiences: deps.audiences,
    audienceSyncs: deps.audienceSyncs,
    // A rectification changes stored traits: audiences evaluate the person again, as after an identify.
    publish: async (event) => {
      const sentTo = await deps.routing.publish(event);
      deps.audiences.observe([event]);
      return sentTo;
    },
    replay: (filter) => deps.routing.replayDeadLetters(filter),
    live: deps.live,
  });
  // Live streams never end by themselves, and spare sockets would wait for the headers timeout: close both
  // before the server waits for its connections. Requests in flight finish.
  app.addHook('preClose', async () => {
    deps.live.live.close();
    connections.destroyIdle();
  });
  await app.register(
    async (profiles) => {
      profiles.addHook(
        'onRequest',
        bearerAuth(deps.adminTokens, (status, message) => adminError(status, message)),
      );
      registerProfileApi(profiles, { identity: deps.identity, profiles: deps.privacy.profiles, queue: deps.queue });
    },
    { prefix: '/profiles/v1' },
  );
  await app.register(
    async (dsr) => {
      await dsr.register(openDsrRoutes, {
        tokens: deps.adminTokens,
        store: deps.dsr.store,
        processor: deps.dsr.processor,
        signer: deps.dsr.signer,
        publicUrl: deps.publicUrl(),
        expectedCompletionMs: deps.expectedCompletionMs(),
      });
    },
    { prefix: '/opendsr/v1' },
  );

  await app.register(dashboardRoutes);

  app.get('/metrics', async (request, reply) => {
    const token = deps.metricsToken();
    if (token) {
      const given = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
      const allowed = [token, ...deps.adminTokens()];
      if (!given || !allowed.some((t) => constantTimeEqual(t, given))) {
        return reply.code(401).header('www-authenticate', 'Bearer').send(adminError(401, 'send the metrics token (server.metricsToken) as a Bearer token'));
      }
    }
    return reply.type(deps.metrics.contentType).send(await deps.metrics.render());
  });

  // Liveness: the process answers. Readiness: the queue answers and every configured connection runs.
  app.get('/health', async () => ({ status: 'ok', connections: deps.runtime.connectionIds().length }));
  app.get('/ready', async (_request, reply) => {
    const problems = await deps.readiness();
    return problems.length ? reply.code(503).send({ status: 'not_ready', problems }) : { status: 'ready' };
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0]!.replace(/\/+$/, '');
    const errorBody = errorBodyFor(request.url);
    if (POST_ONLY_PATHS.has(path) && request.method !== 'POST') {
      return reply
        .code(405)
        .header('allow', 'POST')
        .send(errorBody(new RequestError(405, 'METHOD_NOT_ALLOWED', [], `${request.method} is not allowed on ${path}; use POST`)));
    }
    return reply
      .code(404)
      .send(
        errorBody(new RequestError(404, 'NOT_FOUND', [], `no route ${request.method} ${path}; ingestion is at /v1/batch (Segment) and /v2/events (mParticle)`)),
      );
  });
  return app;
}

/** URLs the router cannot route: a percent-escape that does not decode, or a path segment over the length limit. */
function answerUrlError(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const failure =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? new RequestError(414, 'URI_TOO_LONG', [], `a path segment is longer than ${INPUT_LIMITS.maxPathSegmentLength} characters`)
      : error.code === 'FST_ERR_BAD_URL'
        ? new RequestError(400, 'BAD_URL', [], 'the URL is not valid: a percent-escape in it does not decode')
        : new RequestError(500, 'INTERNAL_ERROR', [], 'internal error');
  return reply.code(failure.statusCode).send(errorBodyFor(request.url)(failure));
}
