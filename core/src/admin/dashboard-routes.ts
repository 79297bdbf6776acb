import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { dashboardAssetsDir } from '@switchyard/dashboard';
import { adminError } from '../auth/bearer-auth.js';

/**
 * The page runs only its own script and stylesheet, talks only to this router, and cannot be framed; it holds no
 * data (every number comes from the admin API with the operator's token), so it needs no authentication itself.
 */
export const DASHBOARD_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

export interface DashboardRoutesOptions {
  /** The built page (default: the @switchyard/dashboard package's). */
  assetsDir?: string;
}

/** The operator dashboard at /dashboard: the static page of @switchyard/dashboard, under a strict CSP. */
export const dashboardRoutes: FastifyPluginAsync<DashboardRoutesOptions> = async (app: FastifyInstance, options) => {
  const root = options.assetsDir ?? dashboardAssetsDir;
  // Encapsulated: these headers go on the dashboard's answers only, not on the APIs'.
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.headers(DASHBOARD_HEADERS);
    return payload;
  });
  if (!existsSync(join(root, 'index.html'))) {
    // No file path in the answer: anyone may ask for /dashboard.
    const notBuilt = async (_request: FastifyRequest, reply: FastifyReply) =>
      reply.code(503).send(adminError(503, 'the dashboard is not built: run npm run build in the Switchyard checkout'));
    app.get('/dashboard', notBuilt);
    app.get('/dashboard/*', notBuilt);
    return;
  }
  await app.register(fastifyStatic, {
    root,
    prefix: '/dashboard/',
    // One route per built file: a path outside them is the router's 404, never a look-up on disk.
    wildcard: false,
    index: false,
    preCompressed: true,
    // The names carry no content hash: a browser asks again (and gets a 304) rather than keep an old page.
    cacheControl: false,
    setHeaders: (reply) => reply.header('cache-control', 'no-cache'),
  });
  app.get('/dashboard', async (_request, reply) => reply.sendFile('index.html'));
};
