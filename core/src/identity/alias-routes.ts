import type { FastifyError, FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { registerBrowserCors, requireAllowedOrigin } from '../http-input/browser-cors.js';
import type { ClientRateLimit } from '../http-input/client-rate-limit.js';
import { registerJsonBody } from '../http-input/json-body.js';
import { badRequest, RequestError, type Problem } from '../http-input/request-error.js';
import type { IdentityGraph } from './identity-graph.js';
import type { IdsyncSource } from './idsync-routes.js';
import { IDSYNC_LIMITS } from './idsync-shapes.js';
import { isProfileId } from './resolution-plan.js';

export interface AliasRoutesOptions {
  graph: IdentityGraph;
  sourcesByApiKey: () => ReadonlyMap<string, IdsyncSource>;
  errorBody: (error: RequestError) => unknown;
  webLimit: ClientRateLimit;
}

/** mParticle's first-party path for aliasing (the web SDK's `aliasUrl`, `{domain}/webevents/v1/identity/`). */
export const ALIAS_PREFIX = '/webevents/v1/identity';

/**
 * mParticle's alias request (`mParticle.Identity.aliasUsers`): `POST {aliasUrl}{apiKey}/Alias` with
 * `data.source_mpid` and `data.destination_mpid`. The graph folds the source profile into the destination, as a
 * Segment alias does. The key in the path is public, so only a web source's key is taken, within the web budget,
 * and only an anonymous source profile is folded: a page cannot merge two known people.
 */
export const aliasRoutes: FastifyPluginAsync<AliasRoutesOptions> = async (app: FastifyInstance, options) => {
  const asRequestError = registerJsonBody(app, {
    maxBytes: IDSYNC_LIMITS.maxBodyBytes,
    contentTypes: ['application/json', 'text/plain'],
    tooLargeStatus: 413,
    exactIntegerKeys: ['source_mpid', 'destination_mpid'],
  });
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const known = asRequestError(error, request);
    if (!known) request.log.error({ err: error }, 'alias request failed');
    const answer = known ?? new RequestError(500, 'INTERNAL_ERROR', [], 'the router failed to answer this alias request; this is a bug, please report it');
    return reply.code(answer.statusCode).send(options.errorBody(answer));
  });
  const webSourceOf = (request: FastifyRequest) => {
    const params = request.params as { apiKey?: string; '*'?: string } | undefined;
    const source = options.sourcesByApiKey().get(params?.apiKey ?? params?.['*']?.replace(/^\/+/, '').split('/')[0] ?? '');
    return source?.web ? source : undefined;
  };
  await registerBrowserCors(app, { sourceOf: webSourceOf, sources: () => [...options.sourcesByApiKey().values()].filter((s) => s.web) });

  const alias = async (request: FastifyRequest<{ Params: { apiKey: string } }>, reply: FastifyReply) => {
    const source = options.sourcesByApiKey().get(request.params.apiKey);
    if (!source)
      throw new RequestError(401, 'UNAUTHORIZED', [
        { path: 'path', message: "the API key in the path is not the key of an mParticle source in this router's config" },
      ]);
    if (!source.web)
      throw new RequestError(403, 'FORBIDDEN', [
        { path: 'path', message: `source "${source.id}" is not a web source: its key alone is accepted only with web: true` },
      ]);
    requireAllowedOrigin(request, reply, source);
    const wait = options.webLimit.take(`${source.id} ${request.ip}`);
    if (wait !== undefined) {
      reply.header('retry-after', String(wait));
      throw options.webLimit.refusal(wait);
    }
    const { sourceMpid, destinationMpid } = parseAlias(request.body);
    if (!options.graph.enabled)
      throw new RequestError(403, 'IDENTITY_DISABLED', [], 'identity resolution is turned off in this router (identity.enabled: false)');
    // The destination must exist: an unknown mpid would otherwise start a profile of that name.
    const [destination] = await options.graph.resolve([{ identifiers: [], mpid: destinationMpid, cause: 'idsync:alias', create: false }]);
    if (destination?.profileId === undefined) throw new RequestError(404, 'NOT_FOUND', [{ path: '$.data.destination_mpid', message: 'no user has this mpid' }]);
    await options.graph.resolve([
      { identifiers: [], mpid: destination.profileId, previous: [{ profileId: sourceMpid, anonymousOnly: true }], cause: 'idsync:alias', create: true },
    ]);
    return reply.code(202).send();
  };
  // The web SDK writes `Alias`, the Android SDK `alias`.
  app.post('/:apiKey/Alias', alias);
  app.post('/:apiKey/alias', alias);
};

function parseAlias(body: unknown): { sourceMpid: string; destinationMpid: string } {
  const data = (body as { data?: unknown } | null)?.data;
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    throw badRequest('BAD_REQUEST', [{ path: '$.data', message: 'must be an object with source_mpid and destination_mpid' }]);
  const problems: Problem[] = [];
  const mpidAt = (key: string) => {
    const value = (data as Record<string, unknown>)[key];
    const text = typeof value === 'number' ? String(value) : value;
    if (typeof text === 'string' && isProfileId(text)) return text;
    problems.push({ path: `$.data.${key}`, message: 'must be an mpid (a non-zero signed 64-bit integer)' });
    return '';
  };
  const sourceMpid = mpidAt('source_mpid');
  const destinationMpid = mpidAt('destination_mpid');
  if (!problems.length && sourceMpid === destinationMpid) problems.push({ path: '$.data.source_mpid', message: 'must differ from destination_mpid' });
  if (problems.length) throw badRequest('BAD_REQUEST', problems);
  return { sourceMpid, destinationMpid };
}
