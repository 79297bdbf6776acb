import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { describeSchemaErrors } from '@switchyard/sdk-kit';
import { INPUT_LIMITS } from '../http-input/input-limits.js';
import type { RequestError } from '../http-input/request-error.js';
import { OPENDSR_IDENTITY_TYPES, SUPPORTED_FORMATS } from './subject-identities.js';
import type { OpenDsrRequestBody } from './dsr-types.js';

const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;

const REQUEST_SCHEMA = {
  type: 'object',
  required: ['regulation', 'subject_request_id', 'subject_request_type', 'submitted_time', 'subject_identities'],
  properties: {
    regulation: { enum: ['gdpr', 'ccpa'] },
    subject_request_id: { type: 'string', pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$' },
    subject_request_type: { enum: ['erasure', 'access', 'portability'] },
    submitted_time: { type: 'string', format: 'date-time' },
    subject_identities: {
      type: 'array',
      minItems: 1,
      maxItems: INPUT_LIMITS.opendsr.maxSubjectIdentities,
      items: {
        type: 'object',
        required: ['identity_type', 'identity_value', 'identity_format'],
        properties: {
          identity_type: { enum: OPENDSR_IDENTITY_TYPES },
          identity_value: { type: 'string', minLength: 1, maxLength: INPUT_LIMITS.maxIdLength },
          identity_format: { enum: SUPPORTED_FORMATS },
        },
      },
    },
    api_version: { type: 'string' },
    status_callback_urls: {
      type: 'array',
      maxItems: INPUT_LIMITS.opendsr.maxCallbackUrls,
      items: { type: 'string', maxLength: INPUT_LIMITS.opendsr.maxCallbackUrlLength, format: 'uri', pattern: '^https?://' },
    },
    extensions: { type: 'object' },
  },
};

const validate = addFormats(new Ajv({ allErrors: true })).compile(REQUEST_SCHEMA);

interface Detail {
  reason: string;
  message: string;
}

/** The OpenDSR error object (spec §7.6); it never echoes identity values. */
export function openDsrError(code: number, message: string, details: Detail[] = []) {
  return { error: { code, message, errors: details.map((d) => ({ domain: 'Validation', ...d })) } };
}

/** A refused request (body, headers, route) in the OpenDSR error shape. */
export function openDsrErrorBody(error: RequestError) {
  return openDsrError(
    error.statusCode,
    error.message,
    error.problems.map((p) => ({ reason: error.code, message: `${p.path}: ${p.message}` })),
  );
}

/**
 * Checks a request body against the schema. Arrays over their schema's maxItems are refused before the
 * all-errors pass, whose work and answer would otherwise grow with the array; the answer lists the
 * first `INPUT_LIMITS.maxProblemsListed` problems and counts the rest.
 */
export function validateOpenDsrRequest(
  body: unknown,
): { ok: true; request: OpenDsrRequestBody } | { ok: false; code: number; message: string; details: Detail[] } {
  const oversized = oversizedArray(body);
  if (oversized) return { ok: false, code: 400, message: oversized.message, details: [oversized] };
  if (validate(body)) return { ok: true, request: body as unknown as OpenDsrRequestBody };
  const messages = describeSchemaErrors(validate.errors, '');
  const all = (validate.errors ?? []).map((e, i) => ({ reason: e.keyword, message: (messages[i] ?? '').replace(/^\./, '') }));
  const details = all.slice(0, INPUT_LIMITS.maxProblemsListed);
  const rest = all.length - details.length;
  return {
    ok: false,
    code: 400,
    message: details.map((d) => d.message).join('; ') + (rest > 0 ? `; and ${rest} more problems (${all.length} in all)` : ''),
    details,
  };
}

function oversizedArray(body: unknown): Detail | undefined {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return undefined;
  for (const [key, schema] of Object.entries(REQUEST_SCHEMA.properties)) {
    if (!('maxItems' in schema)) continue;
    const value = Object.hasOwn(body, key) ? (body as Record<string, unknown>)[key] : undefined;
    if (Array.isArray(value) && value.length > schema.maxItems) {
      return { reason: 'maxItems', message: `${key}: has ${value.length} items; at most ${schema.maxItems} are allowed` };
    }
  }
  return undefined;
}
