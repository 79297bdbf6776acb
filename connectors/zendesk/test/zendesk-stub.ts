import type { CapturedRequest, MockResponse } from '@switchyard/sdk-kit/testing';

export const AGENT = 'integrations@example.com';
export const API_TOKEN = 'zd-api-token-0123456789';

export interface ZendeskUser {
  id: number;
  name: string;
  email?: string;
  external_id?: string;
  active: boolean;
  [field: string]: unknown;
}

/**
 * The Support API's users as documented: basic auth `email/token:apiToken` (401 "Couldn't authenticate you");
 * create_or_update matches by external_id, then email (201 created, 200 updated; 422 RecordInvalid for a missing
 * name, a malformed email or an email another user has); search by external_id or `email:`; a user must be deleted
 * (DELETE /users/{id}) before it can be permanently deleted (DELETE /deleted_users/{id}).
 */
export function zendeskApi(users: ZendeskUser[] = []) {
  let nextId = 1000;
  const invalid = (field: string, description: string): MockResponse => ({
    status: 422,
    body: { error: 'RecordInvalid', description: 'Record validation errors', details: { [field]: [{ description, error: 'InvalidValue' }] } },
  });
  return (request: CapturedRequest): MockResponse => {
    if (request.headers.authorization !== `Basic ${Buffer.from(`${AGENT}/token:${API_TOKEN}`).toString('base64')}`) {
      return { status: 401, body: { error: "Couldn't authenticate you" } };
    }
    const url = new URL(request.url);
    const path = url.pathname;
    if (request.method === 'POST' && path === '/api/v2/users/create_or_update') {
      const user = (request.body as { user?: Partial<ZendeskUser> }).user ?? {};
      if (user.email !== undefined && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(user.email)) return invalid('email', `Email: ${user.email} is not properly formatted`);
      const existing = users.find(
        (u) => u.active && ((user.external_id && u.external_id === user.external_id) || (!user.external_id && user.email && u.email === user.email)),
      );
      if (user.email && users.some((u) => u.active && u !== existing && u.email === user.email))
        return invalid('email', `Email: ${user.email} is already being used by another user`);
      if (existing) {
        Object.assign(existing, user);
        return { status: 200, body: { user: existing } };
      }
      if (!user.name) return invalid('name', 'Name: cannot be blank');
      const created = { ...user, id: nextId++, active: true } as ZendeskUser;
      users.push(created);
      return { status: 201, body: { user: created } };
    }
    if (request.method === 'GET' && path === '/api/v2/users/search') {
      const externalId = url.searchParams.get('external_id');
      const email = /^email:(.+)$/.exec(url.searchParams.get('query') ?? '')?.[1];
      const found = users.filter((u) => u.active && ((externalId && u.external_id === externalId) || (email && u.email === email)));
      return { status: 200, body: { users: found, count: found.length, next_page: null } };
    }
    const deleted = /^\/api\/v2\/(users|deleted_users)\/(\d+)$/.exec(path);
    if (request.method === 'DELETE' && deleted) {
      const user = users.find((u) => u.id === Number(deleted[2]));
      if (deleted[1] === 'users') {
        if (!user?.active) return { status: 404, body: { error: 'RecordNotFound', description: 'Not found' } };
        user.active = false;
        return { status: 200, body: { user } };
      }
      if (!user || user.active) return { status: 404, body: { error: 'RecordNotFound', description: 'Not found' } };
      users.splice(users.indexOf(user), 1);
      return { status: 200, body: { deleted_user: { id: user.id } } };
    }
    return { status: 404, body: { error: 'InvalidEndpoint', description: 'Not found' } };
  };
}
