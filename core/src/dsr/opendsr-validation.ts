import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { describeSchemaErrors } from '@switchyard/sdk-kit';
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
      type: 'array', minItems: 1, maxItems: 100,
      items: {
        type: 'object', required: ['identity_type', 'identity_value', 'identity_format'],
        properties: {
          identity_type: { enum: OPENDSR_IDENTITY_TYPES },
          identity_value: { type: 'string', minLength: 1, maxLength: 1024 },
          identity_format: { enum: SUPPORTED_FORMATS },
        },
      },
    },
    api_version: { type: 'string' },
    status_callback_urls: { type: 'array', maxItems: 10, items: { type: 'string', format: 'uri', pattern: '^https?://' } },
    extensions: { type: 'object' },
  },
};

const validate = addFormats(new Ajv({ allErrors: true })).compile(REQUEST_SCHEMA);

/** The OpenDSR error object (spec §7.6); it never echoes identity values. */
export function openDsrError(code: number, message: string, details: Array<{ reason: string; message: string }> = []) {
  return { error: { code, message, errors: details.map((d) => ({ domain: 'Validation', ...d })) } };
}

export function validateOpenDsrRequest(body: unknown): { ok: true; request: OpenDsrRequestBody } | { ok: false; problems: Array<{ reason: string; message: string }> } {
  if (validate(body)) return { ok: true, request: body as unknown as OpenDsrRequestBody };
  const messages = describeSchemaErrors(validate.errors, '');
  return {
    ok: false,
    problems: (validate.errors ?? []).map((e, i) => ({ reason: e.keyword, message: (messages[i] ?? '').replace(/^\./, '') })),
  };
}
