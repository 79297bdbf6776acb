import type { CapturedRequest, MockResponse } from '@switchyard/sdk-kit/testing';

export const SITE_ID = 'site-0a1b2c';
export const API_KEY = 'cio-track-key-0123456789';

const refuse = (error: string): MockResponse => ({ status: 400, body: { meta: { error } } });

/**
 * The Track API v1 as documented: basic auth site ID:API key (401 otherwise), a 400 `{ meta: { error } }` for invalid
 * requests (blank event name, more than 300 attributes, attribute names over 150 bytes, timestamps not in unix
 * seconds), `{}` on success. `people` records who exists, so deletes and suppressions can be checked.
 */
export function trackApi(people = new Map<string, Record<string, unknown>>(), suppressed = new Set<string>()) {
  return (request: CapturedRequest): MockResponse => {
    if (request.headers.authorization !== `Basic ${Buffer.from(`${SITE_ID}:${API_KEY}`).toString('base64')}`) {
      return { status: 401, body: { meta: { error: 'Unauthorized request' } } };
    }
    const path = new URL(request.url).pathname;
    const body = (request.body ?? {}) as Record<string, unknown>;
    const timestamp = body.timestamp ?? body.created_at;
    if (timestamp !== undefined && !(Number.isInteger(timestamp) && (timestamp as number) < 1e10))
      return refuse('timestamp must be a unix timestamp in seconds');
    const person = /^\/api\/v1\/customers\/([^/]+)(\/events|\/suppress)?$/.exec(path);
    const id = person ? decodeURIComponent(person[1]!) : undefined;
    if (id !== undefined && suppressed.has(id)) return { status: 200, body: {} }; // accepted, and dropped
    if (request.method === 'PUT' && person && !person[2]) {
      const attributes = Object.keys(body);
      if (attributes.length > 300) return refuse('cannot identify more than 300 attributes in one request');
      if (attributes.some((a) => Buffer.byteLength(a) > 150)) return refuse('attribute name cannot be longer than 150 bytes');
      people.set(id!, { ...people.get(id!), ...body });
      return { status: 200, body: {} };
    }
    if (request.method === 'POST' && (person?.[2] === '/events' || path === '/api/v1/events')) {
      if (typeof body.name !== 'string' || body.name.trim() === '') return refuse('name cannot be blank');
      if (path === '/api/v1/events' && typeof body.anonymous_id !== 'string') return refuse('anonymous_id cannot be blank');
      return { status: 200, body: {} };
    }
    if (request.method === 'POST' && person?.[2] === '/suppress') {
      people.delete(id!);
      suppressed.add(id!);
      return { status: 200, body: {} };
    }
    if (request.method === 'DELETE' && person && !person[2]) {
      people.delete(id!);
      return { status: 200, body: {} };
    }
    return { status: 404, body: { meta: { error: 'not found' } } };
  };
}
