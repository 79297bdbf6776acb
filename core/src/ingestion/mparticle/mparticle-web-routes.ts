import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ResolvedSource } from '../../config/resolved-source.js';
import { registerBrowserCors, requireAllowedOrigin } from '../../http-input/browser-cors.js';
import type { ClientRateLimit } from '../../http-input/client-rate-limit.js';
import { badRequest, RequestError } from '../../http-input/request-error.js';
import type { EventIntake } from '../../intake/event-intake.js';
import { registerIngestionBody } from '../ingestion-body.js';
import { MPARTICLE_LIMITS } from './mparticle-batch.js';
import { acceptMparticleBatches, mparticleErrorBody, type MparticleSources } from './mparticle-routes.js';

export interface MparticleWebRoutesOptions {
  intake: EventIntake;
  sourcesByApiKey: MparticleSources;
  /** What this registration serves: the event uploads (under `/webevents/v3/JS` or `/v3/JS`) or the SDK's config (`/tags/JS/v2`). */
  serves: 'events' | 'config';
  /** The request budget per web source and client address, shared by every registration of these routes. */
  limit: ClientRateLimit;
}

/**
 * The paths of mParticle's first-party (CNAME) layout, which the web SDK builds from its `domain` option:
 * `{domain}/webevents/v3/JS/{key}/events` and `{domain}/tags/JS/v2/{key}/config` (identity is `/identity/v1`,
 * served by IDSync). `/v3/JS/{key}/events` is the same route for a `v3SecureServiceUrl` of `{host}/v3/JS/`.
 */
export const MPARTICLE_WEB_PREFIXES = { events: ['/webevents/v3/JS', '/v3/JS'], config: '/tags/JS/v2' } as const;

/**
 * The mParticle web SDK's uploads: one batch per request, `text/plain` JSON, authenticated by the key in the path
 * alone, which is public in every page, so only sources marked `web: true` take them, each client address within
 * a request budget.
 */
export const mparticleWebRoutes: FastifyPluginAsync<MparticleWebRoutesOptions> = async (app: FastifyInstance, options) => {
  registerIngestionBody(app, MPARTICLE_LIMITS.maxBatchBytes, mparticleErrorBody, ['mpid', 'previous_mpid']);
  const webSourceOf = (request: FastifyRequest) => {
    // A preflight is routed to the CORS plugin's catch-all route: the key is the first segment it matched.
    const params = request.params as { apiKey?: string; '*'?: string } | undefined;
    const apiKey = params?.apiKey ?? params?.['*']?.replace(/^\/+/, '').split('/')[0];
    const source = apiKey === undefined ? undefined : options.sourcesByApiKey().get(apiKey);
    return source?.web ? source : undefined;
  };
  await registerBrowserCors(app, { sourceOf: webSourceOf, sources: () => [...options.sourcesByApiKey().values()].filter((s) => s.web) });
  const limit = options.limit;

  const authenticate = (request: FastifyRequest, reply: FastifyReply): ResolvedSource => {
    const apiKey = (request.params as { apiKey: string }).apiKey;
    const source = options.sourcesByApiKey().get(apiKey);
    if (!source)
      throw new RequestError(401, 'UNAUTHORIZED', [
        { path: 'path', message: "the API key in the path is not the key of an mParticle source in this router's config" },
      ]);
    if (!source.web) {
      throw new RequestError(403, 'FORBIDDEN', [
        { path: 'path', message: `source "${source.id}" is not a web source: its key alone is accepted only with web: true in its config` },
      ]);
    }
    request.sourceId = source.id;
    requireAllowedOrigin(request, reply, source);
    const wait = limit.take(`${source.id} ${request.ip}`);
    if (wait !== undefined) {
      reply.header('retry-after', String(wait));
      throw limit.refusal(wait);
    }
    return source;
  };

  const accept = acceptMparticleBatches(options.intake);
  const events = async (request: FastifyRequest, reply: FastifyReply) => {
    request.source = authenticate(request, reply);
    if (Array.isArray(request.body)) throw badRequest('BAD_REQUEST', [{ path: '$', message: 'must be one batch object, as the web SDK sends' }]);
    return accept(request, reply, [request.body], false);
  };
  if (options.serves === 'events') app.post('/:apiKey/events', events);
  // The SDK asks for its settings unless `requestConfig: false`; no kits (device-mode forwarders) run from here.
  else
    app.get('/:apiKey/config', async (request, reply) => {
      authenticate(request, reply);
      return { kitConfigs: [], pixelConfigs: [], flags: {} };
    });
};
