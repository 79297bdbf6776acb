import type { CapturedRequest, MockResponse } from '@switchyard/sdk-kit/testing';

export const TOKEN = 'pat-na1-11111111-2222-3333-4444-555555555555';
/** Contact properties the fake portal has; HubSpot refuses others (PROPERTY_DOESNT_EXIST). */
const PROPERTIES = new Set(['email', 'firstname', 'lastname', 'phone', 'company', 'website', 'city', 'state', 'zip', 'country', 'plan']);

const error = (status: number, category: string, message: string, extra: Record<string, unknown> = {}): MockResponse => ({
  status,
  body: { status: 'error', message, correlationId: 'c0ffee00-0000-4000-8000-000000000000', category, ...extra },
});

/**
 * A stand-in for the HubSpot APIs this connector calls, as documented: Bearer private-app token; contacts batch upsert
 * (≤100 inputs, idProperty email, unique ids, known properties only, 400 VALIDATION_ERROR for the whole batch
 * otherwise); events/v3/send/batch (≤500 inputs, pe<HubID>_ names of defined events, 204); GDPR delete (204, 404
 * for an unknown contact).
 */
export function createFakeHubSpot(options: { definedEvents?: string[] } = {}) {
  const contacts = new Map<string, Record<string, unknown>>();
  const occurrences: Array<Record<string, unknown>> = [];
  const deleted: string[] = [];
  const defined = new Set(options.definedEvents ?? ['pe123456_video_played', 'pe123456_plan_upgraded']);
  function respond(request: CapturedRequest): MockResponse {
    if (request.headers.authorization !== `Bearer ${TOKEN}`) {
      return error(401, 'INVALID_AUTHENTICATION', 'Authentication credentials not found. This API supports OAuth 2.0 authentication.');
    }
    const path = new URL(request.url).pathname;
    const body = request.body as { inputs?: Array<Record<string, any>>; objectId?: string; idProperty?: string };
    if (request.method === 'POST' && path === '/crm/v3/objects/contacts/batch/upsert') {
      const inputs = body.inputs ?? [];
      if (inputs.length === 0 || inputs.length > 100) return error(400, 'VALIDATION_ERROR', `inputs must hold 1 to 100 items, not ${inputs.length}`);
      const ids = inputs.map((i) => i.id);
      if (new Set(ids).size !== ids.length) return error(400, 'VALIDATION_ERROR', 'Duplicate IDs found in batch input');
      for (const input of inputs) {
        if (input.idProperty !== 'email' || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(String(input.id)))
          return error(400, 'VALIDATION_ERROR', `Invalid id ${input.id}`);
        const unknown = Object.keys(input.properties ?? {}).find((p) => !PROPERTIES.has(p));
        if (unknown) return error(400, 'VALIDATION_ERROR', `Property "${unknown}" does not exist`, { errors: [{ code: 'PROPERTY_DOESNT_EXIST' }] });
      }
      for (const input of inputs) contacts.set(input.id, { ...contacts.get(input.id), ...input.properties });
      return { status: 200, body: { status: 'COMPLETE', results: inputs.map((i, n) => ({ id: String(1000 + n), properties: i.properties, new: true })) } };
    }
    if (request.method === 'POST' && path === '/events/v3/send/batch') {
      const inputs = body.inputs ?? [];
      if (inputs.length === 0 || inputs.length > 500) return error(400, 'VALIDATION_ERROR', `inputs must hold 1 to 500 items, not ${inputs.length}`);
      for (const input of inputs) {
        if (!defined.has(input.eventName)) return error(400, 'VALIDATION_ERROR', `Event ${input.eventName} is not defined`);
        if (!input.email && !input.utk && !input.objectId) return error(400, 'VALIDATION_ERROR', 'One of email, utk or objectId is required');
        if (input.uuid !== undefined && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(input.uuid))
          return error(400, 'VALIDATION_ERROR', 'uuid is not a UUID');
      }
      occurrences.push(...inputs);
      return { status: 204 };
    }
    if (request.method === 'POST' && path === '/crm/v3/objects/contacts/gdpr-delete') {
      if (body.idProperty !== 'email' || !body.objectId) return error(400, 'VALIDATION_ERROR', 'objectId and idProperty are required');
      if (!contacts.delete(body.objectId)) return error(404, 'OBJECT_NOT_FOUND', 'resource not found');
      deleted.push(body.objectId);
      return { status: 204 };
    }
    return error(404, 'OBJECT_NOT_FOUND', `no route for ${request.method} ${path}`);
  }
  return { contacts, occurrences, deleted, respond };
}
