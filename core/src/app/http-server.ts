import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { adminRoutes } from '../admin/admin-routes.js';
import type { DeliveryRuntime } from '../delivery/delivery-runtime.js';
import type { DsrServices } from '../dsr/dsr-services.js';
import { openDsrRoutes } from '../dsr/opendsr-routes.js';
import type { EventIntake } from '../intake/event-intake.js';
import { MPARTICLE_PATHS, mparticleRoutes, type MparticleRoutesOptions } from '../ingestion/mparticle/mparticle-routes.js';
import { SEGMENT_PATHS, segmentRoutes, type SegmentRoutesOptions } from '../ingestion/segment/segment-routes.js';
import type { Logger } from '../logging.js';
import type { PrivacyServices } from '../privacy/privacy-services.js';
import type { EventRouting } from '../routing/event-routing.js';

export interface HttpServerDeps {
  log: Logger;
  trustProxy: boolean;
  intake: EventIntake;
  runtime: DeliveryRuntime;
  privacy: PrivacyServices;
  dsr: DsrServices;
  routing: EventRouting;
  adminTokens: () => readonly string[];
  publicUrl: () => string | undefined;
  expectedCompletionMs: () => number;
  sourcesByWriteKey: SegmentRoutesOptions['sourcesByWriteKey'];
  sourcesByApiKey: MparticleRoutesOptions['sourcesByApiKey'];
  /** Extra admin read-outs (ingestion counters), served under /admin/v1. */
  stats: () => Record<string, unknown>;
}

const POST_ONLY_PATHS = new Set([...SEGMENT_PATHS, ...MPARTICLE_PATHS]);

/** One fastify server with the ingestion (Segment, mParticle), admin and OpenDSR APIs as separate plugins. */
export async function buildHttpServer(deps: HttpServerDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.log.child({ component: 'http' }) as unknown as FastifyBaseLogger,
    // Per-request lines would double the log volume of ingestion; errors are logged where they happen.
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: deps.trustProxy,
    bodyLimit: 8 * 1024 * 1024,
    return503OnClosing: true,
  });

  await app.register(segmentRoutes, { prefix: '/v1', intake: deps.intake, sourcesByWriteKey: deps.sourcesByWriteKey });
  await app.register(mparticleRoutes, { prefix: '/v2', intake: deps.intake, sourcesByApiKey: deps.sourcesByApiKey });
  await app.register(adminRoutes, {
    prefix: '/admin/v1',
    tokens: deps.adminTokens,
    suppressions: deps.privacy.suppressions,
    audit: deps.privacy.audit,
    gate: deps.privacy.gate,
    profiles: deps.privacy.profiles,
    runtime: deps.runtime,
    stats: deps.stats,
    publish: (event) => deps.routing.publish(event),
    replay: (filter) => deps.routing.replayDeadLetters(filter),
  });
  await app.register(async (dsr) => {
    await dsr.register(openDsrRoutes, {
      tokens: deps.adminTokens,
      store: deps.dsr.store,
      processor: deps.dsr.processor,
      signer: deps.dsr.signer,
      publicUrl: deps.publicUrl(),
      expectedCompletionMs: deps.expectedCompletionMs(),
    });
  }, { prefix: '/opendsr/v1' });

  app.get('/health', async () => ({ status: 'ok', connections: deps.runtime.connectionIds().length }));

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0]!.replace(/\/+$/, '');
    if (POST_ONLY_PATHS.has(path)) {
      return reply.code(405).header('allow', 'POST').send({ success: false, code: 'METHOD_NOT_ALLOWED', message: `${request.method} is not allowed on ${path}; use POST` });
    }
    return reply.code(404).send({ success: false, code: 'NOT_FOUND', message: `no route ${request.method} ${path}; ingestion is at /v1/batch (Segment) and /v2/events (mParticle)` });
  });
  return app;
}
