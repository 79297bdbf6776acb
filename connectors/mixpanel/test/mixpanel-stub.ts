import type { CapturedRequest, MockResponse } from '@switchyard/sdk-kit/testing';

export const PROJECT_ID = '2195193';
export const PROJECT_TOKEN = 'mp-project-token-0123456789';
export const SA_USER = 'switchyard.4a1b2c.mp-service-account';
export const SA_SECRET = 'mp-sa-secret-0123456789';
export const GDPR_TOKEN = 'mp-gdpr-oauth-token-0123456789';

const PLACEHOLDER_IDS = new Set(['anon', 'anonymous', 'nil', 'none', 'null', 'n/a', 'undefined', '0', '-1', '00000000-0000-0000-0000-000000000000']);

/**
 * /import as documented: basic auth with the service account and project_id, strict=1, at most 2,000 events and
 * 10 MB; each event needs a name, time (seconds or ms, not more than an hour ahead), a distinct_id that is not a
 * placeholder and an $insert_id of at most 36 letters, digits and dashes. A 400 names the failed records by index and
 * the others are ingested (kept in `ingested`).
 */
export function importApi(ingested: Array<Record<string, unknown>> = []) {
  return (request: CapturedRequest): MockResponse => {
    const url = new URL(request.url);
    if (
      request.headers.authorization !== `Basic ${Buffer.from(`${SA_USER}:${SA_SECRET}`).toString('base64')}` ||
      url.searchParams.get('project_id') !== PROJECT_ID
    ) {
      return { status: 401, body: { code: 401, error: 'Invalid credentials', status: 'Unauthorized' } };
    }
    const events = request.body as Array<{ event?: string; properties?: Record<string, unknown> }>;
    if (!Array.isArray(events)) return { status: 400, body: { code: 400, error: 'request body must be a JSON array', status: 'Bad Request' } };
    if (events.length > 2000 || Buffer.byteLength(JSON.stringify(events)) > 10_000_000) {
      return { status: 413, body: { code: 413, error: 'request exceeds max limit of 10485760 bytes', status: 'Request Entity Too Large' } };
    }
    const failed: Array<{ index: number; insert_id?: unknown; field: string; message: string }> = [];
    events.forEach((event, index) => {
      const p = event.properties ?? {};
      const fail = (field: string, message: string) => failed.push({ index, insert_id: p.$insert_id, field, message });
      if (!event.event) return fail('event', "'event' must not be empty");
      const time = Number(p.time);
      if (!Number.isFinite(time) || (time > 1e11 ? time : time * 1000) > Date.now() + 3_600_000) return fail('properties.time', "'properties.time' is invalid");
      if (typeof p.distinct_id !== 'string' || PLACEHOLDER_IDS.has(p.distinct_id.toLowerCase()))
        return fail('properties.distinct_id', "'properties.distinct_id' is invalid");
      if (typeof p.$insert_id !== 'string' || !/^[A-Za-z0-9-]{1,36}$/.test(p.$insert_id))
        return fail('properties.$insert_id', "'properties.$insert_id' is invalid");
    });
    const bad = new Set(failed.map((f) => f.index));
    ingested.push(...events.filter((_, i) => !bad.has(i)));
    if (failed.length === 0) return { status: 200, body: { code: 200, num_records_imported: events.length, status: 'OK' } };
    return {
      status: 400,
      body: {
        code: 400,
        error: 'some data points in the request failed validation',
        status: 'Bad Request',
        num_records_imported: events.length - failed.length,
        failed_records: failed,
      },
    };
  };
}

/** /engage?verbose=1: the project token in every update, `$distinct_id` required; 200 `{ status: 0, error }` when refused. */
export function engageApi(request: CapturedRequest): MockResponse {
  const updates = request.body as Array<Record<string, unknown>>;
  if (!Array.isArray(updates) || updates.length > 2000) return { status: 200, body: { status: 0, error: 'data must be an array of at most 2000 updates' } };
  for (const u of updates) {
    if (u.$token !== PROJECT_TOKEN) return { status: 200, body: { status: 0, error: 'token, missing or empty' } };
    if (typeof u.$distinct_id !== 'string' || !u.$distinct_id) return { status: 200, body: { status: 0, error: '$distinct_id, missing or empty' } };
    if (u.$set && typeof u.$set === 'object' && Object.keys(u.$set).length > 255)
      return { status: 200, body: { status: 0, error: '$set has more than 255 properties' } };
  }
  return { status: 200, body: { status: 1, error: null } };
}

/** The GDPR API's Create a Deletion: the project token in the query, the OAuth token as Bearer, up to 2,000 distinct_ids. */
export function gdprApi(request: CapturedRequest): MockResponse {
  if (request.headers.authorization !== `Bearer ${GDPR_TOKEN}`) return { status: 401, body: { status: 'error', error: 'invalid token' } };
  if (new URL(request.url).searchParams.get('token') !== PROJECT_TOKEN) return { status: 400, body: { status: 'error', error: 'token is required' } };
  const body = request.body as { distinct_ids?: string[]; compliance_type?: string };
  if (!Array.isArray(body?.distinct_ids) || body.distinct_ids.length === 0 || body.distinct_ids.length > 2000)
    return { status: 400, body: { status: 'error', error: 'distinct_ids' } };
  if (body.compliance_type !== 'GDPR' && body.compliance_type !== 'CCPA') return { status: 400, body: { status: 'error', error: 'compliance_type' } };
  return { status: 200, body: { status: 'ok', results: { task_id: 'task-1' } } };
}
