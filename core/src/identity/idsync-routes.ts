import type { FastifyError, FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import { matchBasicCredentials } from '../auth/mparticle-credentials.js';
import { checkMparticleSignature } from '../auth/mparticle-signature.js';
import { registerBrowserCors, requireAllowedOrigin, type OriginPolicy } from '../http-input/browser-cors.js';
import type { ClientRateLimit } from '../http-input/client-rate-limit.js';
import { registerJsonBody } from '../http-input/json-body.js';
import { badRequest, RequestError } from '../http-input/request-error.js';
import type { IdentityGraph } from './identity-graph.js';
import type { Identifier } from './identity-store.js';
import {
  identityAnswer,
  IDSYNC_LIMITS,
  modifyAnswer,
  parseIdentityRequest,
  parseModifyRequest,
  type IdsyncIdentity,
  type IdsyncOperation,
} from './idsync-shapes.js';
import { isProfileId } from './resolution-plan.js';

/** What IDSync needs of an mParticle source: its credentials, and whether its key alone may be used (a browser). */
export interface IdsyncSource extends OriginPolicy {
  id: string;
  apiSecret: string;
  web?: boolean;
}

export interface IdsyncRoutesOptions {
  graph: IdentityGraph;
  /** Read on every request, so a config reload takes effect at once. */
  sourcesByApiKey: () => ReadonlyMap<string, IdsyncSource>;
  /** The error shape of the mParticle family: `{"errors":[{"code","message"}]}`, as IDSync documents it. */
  errorBody: (error: RequestError) => unknown;
  /** The request budget of key-only (web source) callers, shared with the web SDK's event routes. */
  webLimit?: ClientRateLimit;
}

export const IDSYNC_PREFIX = '/identity/v1';
const OPERATIONS: readonly IdsyncOperation[] = ['identify', 'search', 'login', 'logout'];
/** The POST-only paths with a fixed name (modify's path holds the mpid). */
export const IDSYNC_PATHS = OPERATIONS.map((operation) => `${IDSYNC_PREFIX}/${operation}`);

/**
 * mParticle's IDSync HTTP API on the router, under mParticle's first-party path `/identity/v1`: identify, search,
 * login, logout and `/{mpid}/modify`, answered by the identity graph. Server-side callers authenticate with Basic
 * `apiKey:apiSecret`; browsers with `x-mp-key` alone, for sources marked `web: true`.
 */
export const idsyncRoutes: FastifyPluginAsync<IdsyncRoutesOptions> = async (app: FastifyInstance, options) => {
  const asRequestError = registerJsonBody(app, {
    maxBytes: IDSYNC_LIMITS.maxBodyBytes,
    contentTypes: ['application/json', 'text/plain'],
    tooLargeStatus: 413,
    exactIntegerKeys: ['mpid', 'previous_mpid'],
  });
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const known = asRequestError(error, request);
    if (!known) request.log.error({ err: error }, 'idsync request failed');
    const answer = known ?? new RequestError(500, 'INTERNAL_ERROR', [], 'the router failed to answer this identity request; this is a bug, please report it');
    return reply.code(answer.statusCode).send(options.errorBody(answer));
  });
  // Web SDKs call from other origins: the web sources' allowed origins may, and read every answer, errors included.
  await registerBrowserCors(app, { sources: () => [...options.sourcesByApiKey().values()].filter((source) => source.web) });
  app.addHook('onRequest', async (request, reply) => {
    // A signed request (the mobile SDKs) is checked once its body is read, since the signature covers it.
    if (request.method === 'OPTIONS' || request.headers['x-mp-signature'] !== undefined) return;
    const source = authenticate(request, options.sourcesByApiKey());
    requireAllowedOrigin(request, reply, source);
    // The key alone is public in every page that uses it: each client address gets a budget.
    const wait = request.headers.authorization === undefined ? options.webLimit?.take(`${source.id} ${request.ip}`) : undefined;
    if (wait !== undefined) {
      reply.header('retry-after', String(wait));
      throw options.webLimit!.refusal(wait);
    }
  });
  app.addHook('preHandler', async (request) => {
    if (request.headers['x-mp-signature'] !== undefined) verifySignature(request, options.sourcesByApiKey());
  });

  for (const operation of OPERATIONS) {
    app.post(`/${operation}`, async (request) => answerIdentity(options.graph, operation, request.body));
  }
  app.post<{ Params: { mpid: string } }>('/:mpid/modify', async (request) => {
    const { mpid } = request.params;
    if (!isProfileId(mpid))
      throw badRequest('BAD_REQUEST', [{ path: 'mpid', message: `the mpid in the path must be a non-zero signed 64-bit integer, got "${mpid}"` }]);
    const changes = parseModifyRequest(request.body);
    requireGraph(options.graph);
    const result = await options.graph.modify(mpid, changes, 'idsync:modify');
    if ('error' in result)
      throw new RequestError(result.status, result.status === 409 ? 'CONFLICT' : result.status === 404 ? 'NOT_FOUND' : 'BAD_REQUEST', [], result.error);
    return modifyAnswer(result.profileId, changes);
  });
};

/** identify, search, login and logout: one resolution of the request's identities. */
async function answerIdentity(graph: IdentityGraph, operation: IdsyncOperation, body: unknown) {
  const request = parseIdentityRequest(body);
  requireGraph(graph);
  // A logout moves to the device's anonymous user: the user identities it may carry are not used.
  const sent = operation === 'logout' ? request.identities.filter((identity) => identity.isDevice) : request.identities;
  const { identifiers, namesByKey } = identifiersOf(graph, sent);
  if (identifiers.length === 0) {
    const message =
      operation === 'logout' && request.identities.length > sent.length
        ? 'a logout resolves with device identities only (device_application_stamp, ios_idfv, android_uuid, …); send at least one'
        : 'none of these values can identify anyone: send at least one identity with a real value ("", "null", "0" and the like are ignored)';
    throw badRequest('BAD_REQUEST', [{ path: '$.known_identities', message }]);
  }
  const cause = `idsync:${operation}`;
  // Only an anonymous previous user is folded into the one the request resolves to: a known one is another person.
  const previous =
    (operation === 'identify' || operation === 'login') && request.previousMpid ? await anonymousProfile(graph, request.previousMpid, cause) : undefined;
  const [resolution] = await graph.resolve([
    { identifiers, ...(previous ? { previous: [{ profileId: previous }] } : {}), cause, create: operation !== 'search' },
  ]);
  if (resolution?.profileId === undefined) {
    if (operation === 'search') throw new RequestError(404, 'NOT_FOUND', [], 'no user matches these identities');
    throw badRequest('BAD_REQUEST', [
      { path: '$.known_identities', message: 'none of these identities may be linked to anyone (they belong to erased users)' },
    ]);
  }
  const matched: Record<string, string> = {};
  for (const identifier of resolution.matched) for (const { name, value } of namesByKey.get(identifier.key) ?? []) matched[name] = value;
  return identityAnswer(resolution.profileId, matched, resolution.known);
}

/** The graph's identifiers for the request's identities (blocked values dropped), and the names each was sent as. */
function identifiersOf(graph: IdentityGraph, identities: readonly IdsyncIdentity[]) {
  const identifiers: Identifier[] = [];
  const namesByKey = new Map<string, IdsyncIdentity[]>();
  for (const identity of identities) {
    const identifier = graph.identifier({ type: identity.type, value: identity.value });
    if (!identifier) continue;
    const names = namesByKey.get(identifier.key);
    if (names) names.push(identity);
    else {
      namesByKey.set(identifier.key, [identity]);
      identifiers.push(identifier);
    }
  }
  return { identifiers, namesByKey };
}

/** The profile an mpid names now (merged ids answer with their survivor), if it exists and holds no login id. */
async function anonymousProfile(graph: IdentityGraph, mpid: string, cause: string): Promise<string | undefined> {
  const [found] = await graph.resolve([{ identifiers: [], mpid, cause, create: false }]);
  return found?.profileId !== undefined && !found.known ? found.profileId : undefined;
}

function requireGraph(graph: IdentityGraph): void {
  if (!graph.enabled) throw new RequestError(403, 'IDENTITY_DISABLED', [], 'identity resolution is turned off in this router (identity.enabled: false)');
}

/**
 * Basic `apiKey:apiSecret` of any mParticle source, or `x-mp-key` alone for a web source. Wrong or unknown
 * credentials are 401 as IDSync documents; a key that is valid but may not be used alone is 403.
 */
function authenticate(request: FastifyRequest, sources: ReadonlyMap<string, IdsyncSource>): IdsyncSource {
  const authorization = request.headers.authorization;
  if (authorization !== undefined) {
    const checked = matchBasicCredentials(authorization, sources);
    if ('source' in checked) return checked.source;
    throw new RequestError(401, 'UNAUTHORIZED', [
      {
        path: 'authorization',
        message:
          checked.failure === 'missing'
            ? "send HTTP Basic auth with an mParticle source's API key and secret"
            : "the API key and secret do not match an mParticle source in this router's config",
      },
    ]);
  }
  const key = request.headers['x-mp-key'];
  if (typeof key === 'string' && key.length > 0) {
    const source = sources.get(key);
    if (!source)
      throw new RequestError(401, 'UNAUTHORIZED', [{ path: 'x-mp-key', message: "is not the API key of an mParticle source in this router's config" }]);
    if (!source.web) {
      throw new RequestError(403, 'FORBIDDEN', [
        {
          path: 'x-mp-key',
          message: 'names a source that is not a web source: its key alone is accepted only with web: true in its config; send Basic apiKey:apiSecret',
        },
      ]);
    }
    return source;
  }
  throw new RequestError(401, 'UNAUTHORIZED', [
    { path: 'authorization', message: "send HTTP Basic auth with an mParticle source's API key and secret (from a browser: x-mp-key with a web source's key)" },
  ]);
}

/** mParticle's HMAC digest authentication, as the mobile SDKs send it: `x-mp-key`, `Date` and `x-mp-signature`. */
function verifySignature(request: FastifyRequest, sources: ReadonlyMap<string, IdsyncSource>): void {
  const key = request.headers['x-mp-key'];
  const source = typeof key === 'string' ? sources.get(key) : undefined;
  const signature = request.headers['x-mp-signature'];
  const check = source
    ? checkMparticleSignature(source.apiSecret, {
        method: request.method,
        path: request.url,
        date: request.headers.date,
        body: request.bodyText ?? '',
        signature: typeof signature === 'string' ? signature : undefined,
      })
    : 'mismatch';
  if (check !== 'valid') {
    const message = {
      missing: 'a signed request needs the Date header and x-mp-signature',
      stale: "the Date header is unreadable or more than 15 minutes from the router's clock; sign with the current time",
      mismatch: 'x-mp-signature does not match this request signed with the secret of the source named in x-mp-key',
    }[check];
    throw new RequestError(401, 'UNAUTHORIZED', [{ path: check === 'stale' ? 'date' : 'x-mp-signature', message }]);
  }
}
