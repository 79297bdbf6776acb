import { constantTimeEqual } from './constant-time-equal.js';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * `Authorization: Bearer <token>` against the configured admin tokens: 401 when missing, 403 when wrong.
 * `tokens` is read on every request so a config reload takes effect at once.
 */
export function bearerAuth(tokens: () => readonly string[], errorBody: (status: 401 | 403, message: string) => unknown) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const header = request.headers.authorization;
    const match = header ? /^Bearer\s+(.+)$/i.exec(header) : null;
    if (!match) {
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer')
        .send(errorBody(401, 'missing admin token: send "Authorization: Bearer <token>" with a token from admin.tokens in the config'));
    }
    const given = match[1]!.trim();
    const valid = tokens().some((token) => constantTimeEqual(token, given));
    if (!valid) return reply.code(403).send(errorBody(403, 'the admin token is not valid'));
    return undefined;
  };
}

export const adminError = (status: number, message: string, details?: unknown) => ({
  error: { status, message, ...(details === undefined ? {} : { details }) },
});
