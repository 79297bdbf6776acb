import type { FastifyInstance, RouteShorthandOptions } from 'fastify';
import type { StartResult, SyncLifecycle } from '../audience-syncs/sync-lifecycle.js';
import { adminError } from '../auth/bearer-auth.js';

export interface AudienceSyncRoutesOptions {
  syncs: Pick<SyncLifecycle, 'list' | 'status' | 'run' | 'backfill' | 'reconcile'>;
}

const syncParams = {
  type: 'object',
  properties: { audience: { type: 'string', minLength: 1, maxLength: 64 }, connection: { type: 'string', minLength: 1, maxLength: 256 } },
  required: ['audience', 'connection'],
} as const;
const runParams = {
  type: 'object',
  properties: { ...syncParams.properties, runId: { type: 'string', minLength: 1, maxLength: 64 } },
  required: ['audience', 'connection', 'runId'],
} as const;

type SyncParams = { audience: string; connection: string };

/** The admin API's error shape with a code of this API's own. */
const syncError = (status: number, code: string, message: string) => ({ error: { ...adminError(status, message).error, code } });

/**
 * Audience syncs under the admin API (docs/audiences.md#admin-api): each sync's state and run history, one run, and
 * starting a backfill or (mirror syncs) a reconciliation. Syncs are configured in the config file, so there is no
 * create or delete here.
 */
export function registerAudienceSyncRoutes(app: FastifyInstance, options: AudienceSyncRoutesOptions): void {
  const { syncs } = options;
  const noSync = ({ audience, connection }: SyncParams) =>
    syncError(404, 'SYNC_NOT_FOUND', `no sync of audience "${audience}" to connection "${connection}"; see GET /admin/v1/audience-syncs`);

  app.get('/audience-syncs', async () => ({ syncs: syncs.list() }));

  app.get<{ Params: SyncParams }>('/audience-syncs/:audience/:connection', { schema: { params: syncParams } }, async (request, reply) => {
    const status = syncs.status(request.params.audience, request.params.connection);
    if (!status) return reply.code(404).send(noSync(request.params));
    return status;
  });

  const start = (request: { params: SyncParams }, reply: { code(status: number): { send(body: unknown): unknown } }, result: StartResult) => {
    if ('notFound' in result) return reply.code(404).send(noSync(request.params));
    if ('conflict' in result) return reply.code(409).send(syncError(409, result.code, result.conflict));
    return reply.code(202).send({ run: result.run });
  };
  // Triggers: a body is not needed (curl -X POST), and any JSON body is ignored.
  const trigger: RouteShorthandOptions = { schema: { params: syncParams }, config: { bodyOptional: true } };
  app.post<{ Params: SyncParams }>('/audience-syncs/:audience/:connection/backfill', trigger, async (request, reply) =>
    start(request, reply, syncs.backfill(request.params.audience, request.params.connection)),
  );
  app.post<{ Params: SyncParams }>('/audience-syncs/:audience/:connection/reconcile', trigger, async (request, reply) =>
    start(request, reply, syncs.reconcile(request.params.audience, request.params.connection)),
  );

  app.get<{ Params: SyncParams & { runId: string } }>(
    '/audience-syncs/:audience/:connection/runs/:runId',
    { schema: { params: runParams } },
    async (request, reply) => {
      const { audience, connection, runId } = request.params;
      const run = syncs.run(audience, connection, runId);
      if (!run) {
        if (!syncs.status(audience, connection)) return reply.code(404).send(noSync(request.params));
        return reply
          .code(404)
          .send(
            syncError(
              404,
              'RUN_NOT_FOUND',
              `no run ${runId} of this sync; the last 100 runs are kept (GET /admin/v1/audience-syncs/${audience}/${connection})`,
            ),
          );
      }
      return { run };
    },
  );
}
