import type { FastifyRequest } from 'fastify';

/**
 * The `User-Agent` of a request a browser made (browsers send `Origin` with every cross-origin call and every POST),
 * else undefined: a server-side SDK's user agent names the library, not the person's browser, and destinations
 * that match on it (conversion APIs) must not receive it as the client's.
 */
export function browserUserAgent(request: FastifyRequest): string | undefined {
  return request.headers.origin !== undefined ? request.headers['user-agent'] : undefined;
}
