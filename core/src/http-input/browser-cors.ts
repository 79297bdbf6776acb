import cors from '@fastify/cors';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { RequestError } from './request-error.js';

/** What CORS needs of a source: the origins its config allows (none listed: any origin). */
export interface OriginPolicy {
  allowedOrigins?: readonly string[];
}

export interface BrowserCorsOptions {
  /**
   * The source a request names in its URL (path or query), so that its preflight can be answered for that source
   * alone. Undefined when the URL names none: the source is then known only from credentials a preflight does not
   * carry, and the preflight is answered for every source of the API (`sources`).
   */
  sourceOf?: (request: FastifyRequest) => OriginPolicy | undefined;
  sources: () => Iterable<OriginPolicy>;
}

/**
 * Request headers the browser SDKs send: Segment analytics.js (authorization, content-type, x-retry-count),
 * RudderStack JS (anonymousid, sentat and its rsa-* retry headers), the mParticle web SDK (x-mp-key).
 */
const SDK_HEADERS = [
  'authorization',
  'content-type',
  'content-encoding',
  'x-retry-count',
  'anonymousid',
  'sentat',
  'rsa-recovered',
  'rsa-retry-attempt',
  'rsa-since-last-attempt',
  'rsa-since-first-attempt',
  'rsa-retry-reason',
  'x-mp-key',
];

/**
 * CORS for the browser-facing routes of one API plugin (ingestion and SDK settings), answered per source: preflights
 * get 204 with the SDKs' headers when the origin is allowed, and no CORS headers at all otherwise, so the browser
 * refuses. Registered inside the API's plugin only: admin, OpenDSR, metrics and dashboard routes never get CORS.
 */
export async function registerBrowserCors(app: FastifyInstance, options: BrowserCorsOptions): Promise<void> {
  await app.register(cors, {
    hook: 'onRequest',
    delegator: (request, callback) => {
      const origin = request.headers.origin;
      const named = options.sourceOf?.(request);
      const allowed = origin === undefined || (named ? isOriginAllowed(named, origin) : someSourceAllows(options.sources(), origin));
      callback(null, {
        // `*` when any origin may call (no credentials are involved); the origin itself when a list allowed it.
        origin: !allowed ? false : origin === undefined || !hasOriginList(named, options.sources()) ? '*' : origin,
        methods: ['GET', 'POST', 'OPTIONS'],
        allowedHeaders: SDK_HEADERS,
        maxAge: 86_400,
        strictPreflight: false,
      });
    },
  });
}

/**
 * Refuses a browser request from an origin its source does not allow, once the source is known (from credentials
 * in the body or headers). The CORS header is taken off the answer, so the page cannot read it either.
 */
export function requireAllowedOrigin(request: FastifyRequest, reply: FastifyReply, source: OriginPolicy & { id: string }): void {
  const origin = request.headers.origin;
  if (origin === undefined || isOriginAllowed(source, origin)) return;
  reply.removeHeader('access-control-allow-origin');
  throw new RequestError(403, 'ORIGIN_NOT_ALLOWED', [
    { path: 'origin', message: `${origin.slice(0, 200)} is not in allowedOrigins of source "${source.id}"; add it there to accept this page's events` },
  ]);
}

export function isOriginAllowed(source: OriginPolicy, origin: string): boolean {
  const list = source.allowedOrigins;
  if (list === undefined) return true;
  const given = origin.toLowerCase();
  return list.some((allowed) => allowed === '*' || allowed.toLowerCase() === given);
}

function someSourceAllows(sources: Iterable<OriginPolicy>, origin: string): boolean {
  for (const source of sources) if (isOriginAllowed(source, origin)) return true;
  return false;
}

/** Whether the answer depends on the origin (so it echoes it, and caches vary by it). */
function hasOriginList(named: OriginPolicy | undefined, sources: Iterable<OriginPolicy>): boolean {
  if (named) return named.allowedOrigins !== undefined && !named.allowedOrigins.includes('*');
  for (const source of sources) if (source.allowedOrigins !== undefined && !source.allowedOrigins.includes('*')) return true;
  return false;
}
