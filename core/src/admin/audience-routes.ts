import type { FastifyInstance } from 'fastify';
import type { AudienceServices } from '../audiences/audience-services.js';
import type { CompiledAudience } from '../audiences/audience-set.js';
import { EVER_DAY } from '../audiences/audience-store.js';
import { startOfUtcDay, type MembershipRecord } from '../audiences/audience-types.js';
import { adminError } from '../auth/bearer-auth.js';
import type { IdentityGraph } from '../identity/identity-graph.js';

export interface AudienceRoutesOptions {
  audiences: Pick<AudienceServices, 'registry' | 'store' | 'reevaluation' | 'engine'>;
  identity: Pick<IdentityGraph, 'profile'>;
}

const keyParam = { type: 'object', properties: { key: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]{0,63}$' } }, required: ['key'] } as const;
const profileIdParam = { type: 'object', properties: { id: { type: 'string', pattern: '^-?[0-9]{1,20}$' } }, required: ['id'] } as const;
// Unknown keys are refused in the handler: fastify's validator would drop them silently.
const definitionBody = {
  type: 'object',
  required: ['rule'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 256 },
    description: { type: 'string', maxLength: 4096 },
    // Checked by the audience compiler, which names the JSON path of each mistake (rule.all[1].gte).
    rule: {},
  },
} as const;

/** The admin API's error shape with the list of problems, each `path: what is wrong`. */
function invalidAudience(problems: string[]) {
  return {
    error: {
      status: 400,
      code: 'INVALID_AUDIENCE',
      message: problems.join('; '),
      problems: problems.map((line) => {
        const colon = line.indexOf(': ');
        return colon > 0 ? { path: line.slice(0, colon), message: line.slice(colon + 2) } : { path: '', message: line };
      }),
    },
  };
}

const iso = (at: number | undefined) => (at === undefined ? undefined : new Date(at).toISOString());

const stay = (m: MembershipRecord) => ({
  audience: m.audience,
  entered_at: iso(m.enteredAt),
  ...(m.exitedAt !== undefined ? { exited_at: iso(m.exitedAt), exit_reason: m.exitReason } : {}),
});

/**
 * Audiences under the admin API: list with member counts, read (with the progress of its re-evaluation), create or
 * change (`PUT`), delete, page through members, and a profile's audiences with their history. Config audiences are
 * read-only here (409 names the config file as the place to change them).
 */
export function registerAudienceRoutes(app: FastifyInstance, options: AudienceRoutesOptions): void {
  const { registry, store, reevaluation } = options.audiences;
  const notFound = (key: string) => adminError(404, `no audience "${key}"; see GET /admin/v1/audiences`);

  const present = async (audience: CompiledAudience, members: number) => {
    const stored = audience.origin === 'api' ? registry.storedDefinition(audience.key) : undefined;
    const evaluation = await reevaluation.progress(audience.key);
    return {
      key: audience.key,
      ...(audience.name !== undefined ? { name: audience.name } : {}),
      ...(audience.description !== undefined ? { description: audience.description } : {}),
      origin: audience.origin,
      rule: audience.rule,
      members,
      ...(evaluation
        ? {
            evaluation: {
              state: evaluation.state,
              evaluated: evaluation.evaluated,
              total: evaluation.total,
              started_at: iso(evaluation.startedAt),
              ...(evaluation.finishedAt !== undefined ? { finished_at: iso(evaluation.finishedAt) } : {}),
            },
          }
        : {}),
      ...(stored ? { created_at: iso(stored.createdAt), updated_at: iso(stored.updatedAt) } : {}),
      ...(audience.warnings.length ? { warnings: audience.warnings } : {}),
    };
  };

  app.get('/audiences', async () => {
    const counts = await store.memberCounts();
    const audiences = [...registry.set.audiences.values()].sort((a, b) => a.key.localeCompare(b.key));
    return { audiences: await Promise.all(audiences.map((a) => present(a, counts.get(a.key) ?? 0))) };
  });

  app.get<{ Params: { key: string } }>('/audiences/:key', { schema: { params: keyParam } }, async (request, reply) => {
    const audience = registry.set.audiences.get(request.params.key);
    if (!audience) return reply.code(404).send(notFound(request.params.key));
    return { audience: await present(audience, (await store.memberCounts()).get(audience.key) ?? 0) };
  });

  app.put<{ Params: { key: string }; Body: { name?: string; description?: string; rule: unknown } }>(
    '/audiences/:key',
    { schema: { params: keyParam, body: definitionBody } },
    async (request, reply) => {
      const unknown = Object.keys(request.body).filter((key) => !(key in definitionBody.properties));
      if (unknown.length) return reply.code(400).send(invalidAudience(unknown.map((key) => `${key}: unknown key; an audience has name, description and rule`)));
      const { name, description, rule } = request.body;
      const result = await registry.put({
        key: request.params.key,
        ...(name !== undefined ? { name } : {}),
        ...(description !== undefined ? { description } : {}),
        rule,
      });
      if ('problems' in result) return reply.code(400).send(invalidAudience(result.problems));
      if ('conflict' in result) return reply.code(409).send(adminError(409, result.conflict));
      const members = (await store.memberCounts()).get(request.params.key) ?? 0;
      return reply.code(result.created ? 201 : 200).send({ audience: await present(result.audience, members) });
    },
  );

  app.delete<{ Params: { key: string } }>('/audiences/:key', { schema: { params: keyParam } }, async (request, reply) => {
    const result = await registry.delete(request.params.key);
    if ('notFound' in result) return reply.code(404).send(notFound(request.params.key));
    if ('conflict' in result) return reply.code(409).send(adminError(409, result.conflict));
    return reply.code(204).send();
  });

  app.get<{ Params: { key: string }; Querystring: { limit?: number; after?: string } }>(
    '/audiences/:key/members',
    {
      schema: {
        params: keyParam,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { limit: { type: 'integer', minimum: 1, maximum: 1000 }, after: { type: 'string', maxLength: 32 } },
        },
      },
    },
    async (request, reply) => {
      const { key } = request.params;
      if (!registry.set.audiences.has(key)) return reply.code(404).send(notFound(key));
      const limit = request.query.limit ?? 100;
      const members = await store.members(key, request.query.after, limit);
      return {
        audience: key,
        members: members.map((m) => ({ profile_id: m.profileId, entered_at: iso(m.enteredAt) })),
        // The cursor of the next page: pass it as ?after=.
        ...(members.length === limit ? { next_after: members[members.length - 1]!.profileId } : {}),
      };
    },
  );

  app.get<{ Params: { id: string } }>('/profiles/:id/audiences', { schema: { params: profileIdParam } }, async (request, reply) => {
    const id = request.params.id;
    const records = await store.membershipsOf(id);
    const aggregates = await aggregatesOf(id);
    if (records.length === 0 && aggregates.length === 0 && !(await options.identity.profile(id))) {
      return reply.code(404).send(adminError(404, `no profile ${id}; find one with GET /admin/v1/profiles?identity_type=…&identity_value=…`));
    }
    return {
      profile_id: id,
      audiences: records.filter((m) => m.exitedAt === undefined).map((m) => ({ key: m.audience, entered_at: iso(m.enteredAt) })),
      history: records.map(stay),
      aggregates,
    };
  });

  /** The profile's counters of each event condition in use: the running total and the day buckets. */
  async function aggregatesOf(profileId: string) {
    const conditions = [...registry.set.conditions.values()].flatMap((c) => {
      const id = options.audiences.engine.conditionId(c.signature);
      return id === undefined ? [] : [{ id, condition: JSON.parse(c.signature) as { event: string; where: unknown; of: string | null } }];
    });
    const state = (
      await store.load(
        [profileId],
        conditions.map((c) => c.id),
        0,
      )
    ).get(profileId);
    return conditions.flatMap(({ id, condition }) => {
      const days = state?.buckets.get(id);
      if (!days?.size) return [];
      const total = days.get(EVER_DAY);
      return [
        {
          event: condition.event,
          ...(condition.where !== null ? { where: condition.where } : {}),
          ...(condition.of !== null ? { of: condition.of } : {}),
          ...(total ? { total } : {}),
          days: [...days]
            .filter(([day]) => day !== EVER_DAY)
            .sort(([a], [b]) => a - b)
            .map(([day, stats]) => ({ day: new Date(startOfUtcDay(day)).toISOString().slice(0, 10), ...stats })),
        },
      ];
    });
  }
}
