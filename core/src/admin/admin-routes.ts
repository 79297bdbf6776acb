import type { FastifyError, FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { CanonicalEvent } from '@switchyard/sdk-kit';
import type { DeadLetterFilter } from '../types.js';
import type { DeliveryRuntime } from '../delivery/delivery-runtime.js';
import { identityKey, IDENTITY_TYPE_NAMES, profileKey } from '../vocabulary/identity-types.js';
import { INPUT_LIMITS } from '../http-input/input-limits.js';
import { registerJsonBody } from '../http-input/json-body.js';
import { RequestError } from '../http-input/request-error.js';
import type { ProfileStore } from '../profiles/profile-store.js';
import type { PrivacyAudit } from '../privacy/privacy-audit.js';
import type { PrivacyGate } from '../privacy/privacy-gate.js';
import type { SuppressionStore } from '../privacy/suppression-store.js';
import { adminError, bearerAuth } from '../auth/bearer-auth.js';
import { rectificationEvent } from './rectification.js';
import type { RecentError } from '../operations/recent-errors.js';
import type { EventTrace } from '../operations/event-traces.js';
import { queuedAgeSeconds } from '../operations/queued-age.js';
import type { ThroughputReport } from '../operations/throughput-history.js';
import { registerProfileRoutes, type ProfileRoutesOptions } from './profile-routes.js';
import { registerLiveRoutes, type LiveRoutesOptions } from './live-routes.js';
import { registerAudienceRoutes, type AudienceRoutesOptions } from './audience-routes.js';
import { registerAudienceSyncRoutes, type AudienceSyncRoutesOptions } from './audience-sync-routes.js';

export interface AdminRoutesOptions {
  tokens: () => readonly string[];
  identity: ProfileRoutesOptions['identity'];
  queue: ProfileRoutesOptions['queue'];
  queueDepth: () => Promise<Record<string, number>>;
  /** When the oldest queued delivery of each connection was enqueued (epoch ms). */
  oldestQueuedAt: () => Promise<Record<string, number>>;
  /** The last failed attempts of a connection, newest first. */
  recentErrors: (connectionId: string) => RecentError[];
  /** Samples of the per-source and per-connection counters over the last minutes (those after `sinceMs`). */
  throughput: (sinceMs?: number) => ThroughputReport;
  /** Where a recent event went (the last 10,000 messageIds). */
  trace: (messageId: string) => EventTrace | undefined;
  suppressions: SuppressionStore;
  audit: PrivacyAudit;
  gate: PrivacyGate;
  profiles: ProfileStore;
  runtime: Pick<DeliveryRuntime, 'listDeadLetters' | 'purgeDeadLetters' | 'stats'>;
  /** Ingestion, enrichment and data plan counters for `GET /admin/v1/stats`. */
  stats?: () => Record<string, unknown>;
  /** Events each connection's filters left out, by reason (`drop`, `sample`). */
  filtered?: () => Record<string, { drop: number; sample: number }>;
  /** Sends a system event (rectification) through the routing decision; returns the connections it went to. */
  publish: (event: CanonicalEvent) => Promise<string[]>;
  audiences: AudienceRoutesOptions['audiences'];
  audienceSyncs: AudienceSyncRoutesOptions['syncs'];
  /** Replays dead letters through the routing decision. */
  replay: (filter: DeadLetterFilter) => Promise<{ replayed: number; dropped: number; skipped: number }>;
  live: LiveRoutesOptions;
}

const identityBody = {
  identity_type: { type: 'string', enum: IDENTITY_TYPE_NAMES },
  identity_value: { type: 'string', minLength: 1, maxLength: INPUT_LIMITS.maxIdLength },
};

/** The admin API's error shape, `{"error":{"status":400,"code":"…","message":"…"}}`. */
export function adminErrorBody(error: RequestError) {
  return { error: { ...adminError(error.statusCode, error.message).error, code: error.code } };
}

/** The admin API under /admin/v1: suppressions, privacy audit, rectification, dead letters, profiles, audiences. */
export const adminRoutes: FastifyPluginAsync<AdminRoutesOptions> = async (app: FastifyInstance, options) => {
  app.addHook(
    'onRequest',
    bearerAuth(options.tokens, (status, message) => adminError(status, message)),
  );
  const asRequestError = registerJsonBody(app, { maxBytes: INPUT_LIMITS.admin.maxBodyBytes, contentTypes: ['application/json'], tooLargeStatus: 413 });
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.validation) {
      const problems = error.validation.map(
        (v) =>
          `${error.validationContext ?? 'body'}${v.instancePath.replace(/\//g, '.')}: ${v.message ?? 'is invalid'}${v.params && 'allowedValues' in v.params ? ` (${(v.params.allowedValues as string[]).join(', ')})` : ''}`,
      );
      return reply
        .code(400)
        .send(adminErrorBody(new RequestError(400, `INVALID_${(error.validationContext ?? 'body').toUpperCase()}`, [], problems.join('; '))));
    }
    const known = asRequestError(error, request);
    if (known) return reply.code(known.statusCode).send(adminErrorBody(known));
    request.log.error({ err: error }, 'admin request failed');
    return reply.code(500).send(adminError(500, 'internal error'));
  });

  app.post<{ Body: { identity_type: string; identity_value: string; reason?: string } }>(
    '/suppressions',
    {
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['identity_type', 'identity_value'],
          properties: { ...identityBody, reason: { type: 'string', maxLength: INPUT_LIMITS.admin.maxReasonLength } },
        },
      },
    },
    async (request, reply) => {
      // The whole person is suppressed; answered only once no delivery decided before can still be leaving a worker.
      const { suppression, created } = await options.gate.suppress(request.body.identity_type, request.body.identity_value, request.body.reason);
      return reply.code(created ? 201 : 200).send({ suppression });
    },
  );

  app.get<{ Querystring: { limit?: number; offset?: number } }>(
    '/suppressions',
    {
      schema: {
        querystring: { type: 'object', properties: { limit: { type: 'integer', minimum: 1, maximum: 1000 }, offset: { type: 'integer', minimum: 0 } } },
      },
    },
    async (request) => ({ suppressions: options.suppressions.list(request.query.limit ?? 100, request.query.offset ?? 0), total: options.suppressions.size }),
  );

  app.delete<{ Params: { id: string } }>('/suppressions/:id', async (request, reply) => {
    if (!(await options.gate.unsuppress(request.params.id))) return reply.code(404).send(adminError(404, `no suppression with id ${request.params.id}`));
    return reply.code(204).send();
  });

  app.get<{ Querystring: { source?: string; connection?: string } }>('/privacy/decisions', async (request) => ({
    decisions: await options.audit.decisions({ sourceId: request.query.source, connectionId: request.query.connection }),
  }));

  app.post<{ Body: { identity_type: string; identity_value: string; attributes: Record<string, unknown> } }>(
    '/rectifications',
    {
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['identity_type', 'identity_value', 'attributes'],
          properties: { ...identityBody, attributes: { type: 'object', minProperties: 1 } },
        },
      },
    },
    async (request, reply) => {
      const { identity_type: type, identity_value: value, attributes } = request.body;
      const [person] = await options.gate.personsOf([{ type, value }]);
      const traits = await options.gate.rectify([identityKey(type, value), ...(person ? [profileKey(person.profileId)] : [])], attributes);
      const sentTo = await options.publish(rectificationEvent(type, value, attributes, person));
      return reply.code(202).send({ rectification: { identity_type: type, attributes, stored_traits: traits, sent_to: sentTo } });
    },
  );

  app.get<{ Querystring: { connection?: string; limit?: number; after?: number } }>(
    '/dead-letters',
    {
      schema: {
        querystring: {
          type: 'object',
          properties: { connection: { type: 'string' }, limit: { type: 'integer', minimum: 1, maximum: 1000 }, after: { type: 'integer', minimum: 0 } },
        },
      },
    },
    async (request) => ({
      deadLetters: (
        await options.runtime.listDeadLetters({ connectionId: request.query.connection, limit: request.query.limit ?? 100, afterId: request.query.after })
      ).map((d) => ({ ...d, body: undefined, event: JSON.parse(d.body) as unknown })),
    }),
  );

  const deadLetterFilter = {
    type: 'object',
    additionalProperties: false,
    properties: { connection: { type: 'string' }, ids: { type: 'array', items: { type: 'integer' }, maxItems: INPUT_LIMITS.admin.maxDeadLetterIds } },
  };
  app.post<{ Body: { connection?: string; ids?: number[] } }>('/dead-letters/replay', { schema: { body: deadLetterFilter } }, async (request) =>
    options.replay({ connectionId: request.body.connection, ids: request.body.ids }),
  );
  app.post<{ Body: { connection?: string; ids?: number[] } }>('/dead-letters/purge', { schema: { body: deadLetterFilter } }, async (request) => ({
    purged: await options.runtime.purgeDeadLetters({ connectionId: request.body.connection, ids: request.body.ids }),
  }));

  app.get('/connections', async () => {
    const [queued, oldest] = await Promise.all([options.queueDepth(), options.oldestQueuedAt()]);
    const stats = options.runtime.stats();
    const now = Date.now();
    const filtered = options.filtered?.() ?? {};
    return {
      connections: Object.fromEntries(
        Object.entries(stats).map(([id, s]) => [
          id,
          { ...s, queued: queued[id] ?? 0, oldestQueuedAgeSeconds: queuedAgeSeconds(oldest[id], now), filtered: filtered[id] ?? { drop: 0, sample: 0 } },
        ]),
      ),
    };
  });

  app.get<{ Querystring: { since?: string } }>(
    '/throughput',
    { schema: { querystring: { type: 'object', properties: { since: { type: 'string', format: 'date-time' } } } } },
    async (request) => options.throughput(request.query.since === undefined ? undefined : Date.parse(request.query.since)),
  );

  app.get<{ Params: { messageId: string } }>('/trace/:messageId', async (request, reply) => {
    const trace = options.trace(request.params.messageId);
    if (!trace) {
      return reply
        .code(404)
        .send(adminError(404, `no trace of ${request.params.messageId}: traces are kept in memory for the last 10,000 events since the router started`));
    }
    return { trace };
  });

  app.get<{ Params: { id: string } }>('/connections/:id/errors', async (request, reply) => {
    if (!(request.params.id in options.runtime.stats())) {
      return reply.code(404).send(adminError(404, `no running connection ${request.params.id}; see GET /admin/v1/connections`));
    }
    return { connection: request.params.id, errors: options.recentErrors(request.params.id) };
  });
  app.get('/stats', async () => ({ connections: options.runtime.stats(), ...options.stats?.() }));

  registerProfileRoutes(app, { identity: options.identity, profiles: options.profiles, queue: options.queue });
  registerLiveRoutes(app, options.live);
  registerAudienceRoutes(app, { audiences: options.audiences, identity: options.identity });
  registerAudienceSyncRoutes(app, { syncs: options.audienceSyncs });
};
