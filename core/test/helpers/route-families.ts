import { randomUUID } from 'node:crypto';

/** The four API families the router serves, each with its own documented error shape (IDSync shares mParticle's). */
export type Family = 'segment' | 'mparticle' | 'admin' | 'opendsr';

export function familyOf(path: string): Family | undefined {
  if (path.startsWith('/v1/')) return 'segment';
  if (path.startsWith('/v2/') || path.startsWith('/identity/v1/')) return 'mparticle';
  if (path.startsWith('/admin/v1/')) return 'admin';
  if (path.startsWith('/opendsr/v1/')) return 'opendsr';
  return undefined;
}

/** The main message of an error body in the family's shape. */
export function errorMessage(family: Family | undefined, json: any): string | undefined {
  if (family === 'mparticle') return json?.errors?.[0]?.message;
  if (family === 'admin' || family === 'opendsr') return json?.error?.message;
  return json?.message;
}

/** Why `json` is not an error body in the family's documented shape, or undefined when it is (for bulk checks). */
export function errorShapeProblem(family: Family | undefined, json: any, status: number): string | undefined {
  const isText = (value: unknown) => typeof value === 'string' && value.length > 0;
  switch (family) {
    case 'segment':
    case undefined:
      return json?.success === false && isText(json.code) && isText(json.message) ? undefined : 'not {success:false, code, message}';
    case 'mparticle':
      return Array.isArray(json?.errors) && json.errors.length > 0 && json.errors.every((e: any) => isText(e.code) && isText(e.message))
        ? undefined
        : 'not {errors:[{code, message}]}';
    case 'admin':
      return json?.error?.status === status && isText(json.error.message) ? undefined : 'not {error:{status, message}}';
    case 'opendsr':
      return json?.error?.code === status && isText(json.error.message) && Array.isArray(json.error.errors) ? undefined : 'not {error:{code, message, errors}}';
  }
}

/** Asserts that `json` is an error body in the family's documented shape (docs/events.md, docs/privacy.md). */
export function expectErrorShape(family: Family | undefined, json: any, status: number): void {
  switch (family) {
    case 'segment':
    case undefined:
      expect(json).toEqual(expect.objectContaining({ success: false, code: expect.any(String), message: expect.any(String) }));
      break;
    case 'mparticle':
      expect(json).toEqual({ errors: expect.arrayContaining([expect.objectContaining({ code: expect.any(String), message: expect.any(String) })]) });
      break;
    case 'admin':
      expect(json).toEqual({ error: expect.objectContaining({ status, message: expect.any(String) }) });
      break;
    case 'opendsr':
      expect(json).toEqual({ error: { code: status, message: expect.any(String), errors: expect.any(Array) } });
      break;
  }
}

export const track = (overrides: Record<string, unknown> = {}) => ({ type: 'track', userId: 'u1', event: 'Clicked', properties: { a: 1 }, ...overrides });
export const mpBatch = (overrides: Record<string, unknown> = {}) => ({
  user_identities: { customer_id: 'c1' },
  events: [{ event_type: 'custom_event', data: { event_name: 'Play' } }],
  ...overrides,
});
export const dsrRequest = (overrides: Record<string, unknown> = {}) => ({
  regulation: 'gdpr',
  subject_request_id: randomUUID(),
  subject_request_type: 'access',
  submitted_time: new Date().toISOString(),
  subject_identities: [{ identity_type: 'email', identity_value: 'someone@example.com', identity_format: 'raw' }],
  ...overrides,
});

/** One valid body per POST route of each family, for attacks that wrap a payload into an otherwise good request. */
export const POST_ROUTES: Array<{ family: Family; path: string; body: () => unknown }> = [
  { family: 'segment', path: '/v1/batch', body: () => ({ batch: [track()] }) },
  { family: 'segment', path: '/v1/import', body: () => ({ batch: [track()] }) },
  { family: 'segment', path: '/v1/track', body: () => track() },
  { family: 'segment', path: '/v1/identify', body: () => ({ userId: 'u1', traits: { a: 1 } }) },
  { family: 'segment', path: '/v1/page', body: () => ({ userId: 'u1', name: 'Home' }) },
  { family: 'segment', path: '/v1/screen', body: () => ({ userId: 'u1', name: 'Home' }) },
  { family: 'segment', path: '/v1/group', body: () => ({ userId: 'u1', groupId: 'g1' }) },
  { family: 'segment', path: '/v1/alias', body: () => ({ userId: 'u1', previousId: 'u0' }) },
  { family: 'mparticle', path: '/v2/events', body: () => mpBatch() },
  { family: 'mparticle', path: '/v2/bulkevents', body: () => [mpBatch()] },
  { family: 'mparticle', path: '/identity/v1/identify', body: () => ({ known_identities: { customerid: 'c1', email: 'c1@example.com' } }) },
  { family: 'mparticle', path: '/identity/v1/login', body: () => ({ known_identities: { customerid: 'c1', android_uuid: 'device-1' } }) },
  { family: 'mparticle', path: '/identity/v1/logout', body: () => ({ known_identities: { android_uuid: 'device-1' } }) },
  { family: 'admin', path: '/admin/v1/suppressions', body: () => ({ identity_type: 'email', identity_value: 'x@example.com' }) },
  { family: 'admin', path: '/admin/v1/rectifications', body: () => ({ identity_type: 'user_id', identity_value: 'u9', attributes: { a: 1 } }) },
  { family: 'admin', path: '/admin/v1/dead-letters/replay', body: () => ({ ids: [1] }) },
  { family: 'admin', path: '/admin/v1/dead-letters/purge', body: () => ({ ids: [1] }) },
  { family: 'opendsr', path: '/opendsr/v1/requests', body: () => dsrRequest() },
];

/** `{"a":{"a":…1…}}`, `levels` objects deep, built as text (JSON.stringify itself recurses). */
export function nestedJson(levels: number): string {
  return `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
}

/** The JSON text of `body` with the string "@@" replaced by raw JSON text. */
export function withRaw(body: unknown, raw: string): string {
  return JSON.stringify(body).replace('"@@"', raw);
}
