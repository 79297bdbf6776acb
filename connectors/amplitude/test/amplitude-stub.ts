import type { CapturedRequest, MockResponse } from '@switchyard/sdk-kit/testing';

export const API_KEY = 'amp-api-key-0123456789';
export const SECRET_KEY = 'amp-secret-key-0123456789';

/**
 * Amplitude's HTTP V2 endpoint as documented: the body's api_key, at most 2,000 events and 1 MB (413), every event
 * with an event_type and a user_id or device_id of at least min_id_length (default 5) characters; a 400 names the
 * events by index in events_with_missing_fields / events_with_invalid_fields.
 */
export function httpApi(request: CapturedRequest): MockResponse {
  const body = request.body as { api_key?: string; events?: Array<Record<string, unknown>>; options?: { min_id_length?: number } };
  if (request.method !== 'POST' || !request.url.endsWith('/2/httpapi')) return { status: 404, body: { code: 404, error: 'not found' } };
  if (body?.api_key !== API_KEY) return { status: 400, body: { code: 400, error: `Invalid API key: ${body?.api_key}` } };
  const events = body.events;
  if (!Array.isArray(events) || events.length === 0)
    return { status: 400, body: { code: 400, error: 'Request missing required field', missing_field: 'events' } };
  if (events.length > 2000 || Buffer.byteLength(JSON.stringify(body)) > 1_000_000) return { status: 413, body: { code: 413, error: 'Payload too large' } };
  const minLength = body.options?.min_id_length ?? 5;
  const missing: Record<string, number[]> = {};
  const invalid: Record<string, number[]> = {};
  const add = (into: Record<string, number[]>, field: string, i: number) => (into[field] ??= []).push(i);
  events.forEach((event, i) => {
    if (typeof event.event_type !== 'string' || !event.event_type) add(missing, 'event_type', i);
    if (event.user_id === undefined && event.device_id === undefined) add(missing, 'user_id', i);
    for (const id of ['user_id', 'device_id'])
      if (event[id] !== undefined && (typeof event[id] !== 'string' || (event[id] as string).length < minLength)) add(invalid, id, i);
    if (event.time !== undefined && !Number.isInteger(event.time)) add(invalid, 'time', i);
  });
  if (Object.keys(missing).length || Object.keys(invalid).length) {
    return {
      status: 400,
      body: { code: 400, error: 'Request missing required field', events_with_missing_fields: missing, events_with_invalid_fields: invalid },
    };
  }
  return { status: 200, body: { code: 200, events_ingested: events.length, payload_size_bytes: 100, server_upload_time: Date.now() } };
}

/** The User Privacy API: basic auth with the API and secret keys, at most 100 user_ids. */
export function deletions(request: CapturedRequest): MockResponse {
  const expected = `Basic ${Buffer.from(`${API_KEY}:${SECRET_KEY}`).toString('base64')}`;
  if (request.headers.authorization !== expected) return { status: 401, body: { error: 'Invalid credentials' } };
  const body = request.body as { user_ids?: string[] };
  if (!Array.isArray(body?.user_ids) || body.user_ids.length === 0 || body.user_ids.length > 100)
    return { status: 400, body: { error: 'user_ids: 1 to 100 ids' } };
  return { status: 200, body: [{ day: '2026-12-11', status: 'staging', amplitude_ids: [], user_ids: body.user_ids.map((id) => ({ user_id: id })) }] };
}
