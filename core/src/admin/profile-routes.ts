import type { FastifyInstance } from 'fastify';
import type { IdentityGraph } from '../identity/identity-graph.js';
import type { StoredProfile } from '../identity/identity-store.js';
import { IDENTITY_TYPE_NAMES, profileKey } from '../vocabulary/identity-types.js';
import { INPUT_LIMITS } from '../http-input/input-limits.js';
import type { ProfileStore } from '../profiles/profile-store.js';
import type { DeliveryQueue } from '../queue/delivery-queue.js';
import { adminError } from '../auth/bearer-auth.js';

export interface ProfileRoutesOptions {
  identity: IdentityGraph;
  profiles: ProfileStore;
  queue: Pick<DeliveryQueue, 'findByIdentity'>;
}

const profileIdParam = { type: 'object', properties: { id: { type: 'string', pattern: '^-?[0-9]{1,20}$' } }, required: ['id'] } as const;
const identifierQuery = {
  type: 'object',
  additionalProperties: false,
  required: ['identity_type', 'identity_value'],
  properties: {
    identity_type: { type: 'string', enum: [...IDENTITY_TYPE_NAMES, 'profile_id'] },
    identity_value: { type: 'string', minLength: 1, maxLength: INPUT_LIMITS.maxIdLength },
  },
} as const;

/** A profile as the admin API shows it: identifiers from the graph, traits and consent from the profile store. */
export async function presentProfile(profile: StoredProfile, options: ProfileRoutesOptions) {
  const stored = options.profiles.get(profileKey(profile.id));
  const aliases = (await options.identity.store.aliasesOf([profile.id])).get(profile.id) ?? [];
  return {
    profile_id: profile.id,
    created_at: new Date(profile.createdAt).toISOString(),
    merged_profiles: aliases,
    identifiers: profile.identifiers.map((i) => ({ type: i.type, value: i.value, linked_at: new Date(i.linkedAt).toISOString() })),
    traits: stored?.traits ?? {},
    consent: stored?.consent ?? { purposes: {} },
  };
}

/**
 * Operator routes on people, under the admin API: find a profile by any identifier, read it and its merge log,
 * split a merge, remove an identifier.
 */
export function registerProfileRoutes(app: FastifyInstance, options: ProfileRoutesOptions): void {
  const notFound = (id: string) => adminError(404, `no profile ${id}; find one with GET /admin/v1/profiles?identity_type=…&identity_value=…`);

  app.get<{ Querystring: { identity_type: string; identity_value: string } }>('/profiles', { schema: { querystring: identifierQuery } }, async (request) => {
    const { identity_type: type, identity_value: value } = request.query;
    const profiles = type === 'profile_id' || type === 'mpid' ? [await options.identity.profile(value)] : await options.identity.profilesOf({ type, value });
    return { profiles: await Promise.all(profiles.filter((p): p is StoredProfile => p !== undefined).map((p) => presentProfile(p, options))) };
  });

  app.get<{ Params: { id: string } }>('/profiles/:id', { schema: { params: profileIdParam } }, async (request, reply) => {
    const profile = await options.identity.profile(request.params.id);
    if (!profile) return reply.code(404).send(notFound(request.params.id));
    return { profile: await presentProfile(profile, options) };
  });

  app.get<{ Params: { id: string }; Querystring: { limit?: number } }>(
    '/profiles/:id/log',
    { schema: { params: profileIdParam, querystring: { type: 'object', properties: { limit: { type: 'integer', minimum: 1, maximum: 1000 } } } } },
    async (request, reply) => {
      const profile = await options.identity.profile(request.params.id);
      if (!profile) return reply.code(404).send(notFound(request.params.id));
      const entries = await options.identity.log(profile.id, request.query.limit ?? 100);
      return {
        profile_id: profile.id,
        log: entries.map((e) => ({
          id: e.id,
          at: new Date(e.at).toISOString(),
          kind: e.kind,
          profile_id: e.profileId,
          ...(e.otherProfileId ? { other_profile_id: e.otherProfileId } : {}),
          identifiers: e.identifiers.map(({ type, value }) => ({ type, value })),
          cause: e.cause,
          rule: e.rule,
        })),
      };
    },
  );

  app.post<{ Params: { id: string }; Body: { log_entry: number } }>(
    '/profiles/:id/split',
    {
      schema: {
        params: profileIdParam,
        body: { type: 'object', additionalProperties: false, required: ['log_entry'], properties: { log_entry: { type: 'integer', minimum: 1 } } },
      },
    },
    async (request, reply) => {
      const profile = await options.identity.profile(request.params.id);
      if (!profile) return reply.code(404).send(notFound(request.params.id));
      const entry = await options.identity.store.logEntry(request.body.log_entry);
      if (!entry || entry.kind !== 'merge' || entry.profileId !== profile.id) {
        return reply
          .code(409)
          .send(adminError(409, `log entry ${request.body.log_entry} is not a merge into profile ${profile.id}; see GET /admin/v1/profiles/${profile.id}/log`));
      }
      const result = await options.identity.split(request.body.log_entry, 'admin:split');
      if ('error' in result) return reply.code(409).send(adminError(409, result.error));
      return { split: { restored_profile_id: result.restored, from_profile_id: result.from } };
    },
  );

  app.delete<{ Params: { id: string }; Querystring: { identity_type: string; identity_value: string } }>(
    '/profiles/:id/identifiers',
    { schema: { params: profileIdParam, querystring: identifierQuery } },
    async (request, reply) => {
      const removed = await options.identity.removeIdentifier(
        request.params.id,
        { type: request.query.identity_type, value: request.query.identity_value },
        'admin:remove',
      );
      if (!removed)
        return reply
          .code(404)
          .send(adminError(404, `profile ${request.params.id} holds no ${request.query.identity_type} ${JSON.stringify(request.query.identity_value)}`));
      return reply.code(204).send();
    },
  );
}

/** Segment's external id form, `<type>:<value>` (`user_id:42`, `email:a@example.com`, `profile_id:-7`). */
function parseExternalId(raw: string): { type: string; value: string } | undefined {
  const colon = raw.indexOf(':');
  if (colon <= 0 || colon === raw.length - 1) return undefined;
  return { type: raw.slice(0, colon), value: raw.slice(colon + 1) };
}

const cursor = (url: string) => ({ url, has_more: false, next: '' });

/**
 * A Segment-style profile read API under /profiles/v1, behind the admin token: a person's traits, external ids
 * and the events the router still holds for them (queued or dead-lettered), by any of their identifiers.
 */
export function registerProfileApi(app: FastifyInstance, options: ProfileRoutesOptions): void {
  const find = async (raw: string): Promise<StoredProfile | { error: string }> => {
    const id = parseExternalId(raw);
    if (!id) return { error: `"${raw}" is not an external id; write it <type>:<value>, e.g. user_id:42 or email:ada@example.com` };
    const profiles = id.type === 'profile_id' || id.type === 'mpid' ? [await options.identity.profile(id.value)] : await options.identity.profilesOf(id);
    const found = profiles.filter((p): p is StoredProfile => p !== undefined);
    if (found.length === 0) return { error: `no profile with ${raw}` };
    if (found.length > 1) return { error: `${raw} is shared by ${found.length} profiles; ask by profile_id:<id> (${found.map((p) => p.id).join(', ')})` };
    return found[0]!;
  };
  const params = { type: 'object', properties: { id: { type: 'string', minLength: 3, maxLength: INPUT_LIMITS.maxIdLength + 32 } }, required: ['id'] } as const;

  app.get<{ Params: { id: string } }>('/:id/traits', { schema: { params: params } }, async (request, reply) => {
    const profile = await find(request.params.id);
    if ('error' in profile) return reply.code(404).send(adminError(404, profile.error));
    return { traits: options.profiles.get(profileKey(profile.id))?.traits ?? {}, cursor: cursor(request.url) };
  });

  app.get<{ Params: { id: string } }>('/:id/external_ids', { schema: { params: params } }, async (request, reply) => {
    const profile = await find(request.params.id);
    if ('error' in profile) return reply.code(404).send(adminError(404, profile.error));
    const ids = [{ type: 'profile_id', value: profile.id, linkedAt: profile.createdAt }, ...profile.identifiers];
    return {
      data: ids.map((i) => ({ id: i.value, type: i.type, collection: 'users', created_at: new Date(i.linkedAt).toISOString(), encoding: 'none' })),
      cursor: cursor(request.url),
    };
  });

  app.get<{ Params: { id: string } }>('/:id/events', { schema: { params: params } }, async (request, reply) => {
    const profile = await find(request.params.id);
    if ('error' in profile) return reply.code(404).send(adminError(404, profile.error));
    const aliases = (await options.identity.store.aliasesOf([profile.id])).get(profile.id) ?? [];
    const held = await options.queue.findByIdentity([profileKey(profile.id), ...aliases.map(profileKey), ...profile.identifiers.map((i) => i.key)]);
    const seen = new Set<string>();
    const data = held.map((h) => JSON.parse(h.body) as { messageId: string }).filter((event) => !seen.has(event.messageId) && seen.add(event.messageId));
    return { data, cursor: cursor(request.url) };
  });
}
