import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

// ajv-formats is CommonJS; under NodeNext its default export arrives wrapped.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;

/** One ajv instance for connector schemas: `secret` is our annotation, not a validation keyword. */
export function createSchemaValidator(): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: false, useDefaults: true });
  addFormats(ajv);
  ajv.addKeyword({ keyword: 'secret', schemaType: 'boolean' });
  return ajv;
}

/** `settings.url: must match format "uri"`: one readable line per ajv error, rooted at `prefix`. */
export function describeSchemaErrors(errors: ErrorObject[] | null | undefined, prefix: string): string[] {
  return (errors ?? []).map((error) => {
    const path = error.instancePath.replace(/\/(\d+)(?=\/|$)/g, '[$1]').replace(/\//g, '.');
    const missing = error.keyword === 'required' ? `.${(error.params as { missingProperty: string }).missingProperty}` : '';
    const extra =
      error.keyword === 'additionalProperties'
        ? `: unknown property "${(error.params as { additionalProperty: string }).additionalProperty}"`
        : `: ${friendlyMessage(error)}`;
    return `${prefix}${path}${missing}${error.keyword === 'required' ? ': is required' : extra}`;
  });
}

const FORMAT_NAMES: Record<string, string> = {
  uri: 'a URI',
  'uri-reference': 'a URI reference',
  email: 'an email address',
  'date-time': 'an ISO-8601 date-time',
  hostname: 'a host name',
  ipv4: 'an IPv4 address',
  ipv6: 'an IPv6 address',
  uuid: 'a UUID',
};

function friendlyMessage(error: ErrorObject): string {
  if (error.keyword === 'format') {
    const format = (error.params as { format: string }).format;
    return `must be ${FORMAT_NAMES[format] ?? `in the format "${format}"`}`;
  }
  if (error.keyword === 'enum')
    return `must be one of ${(error.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  return error.message ?? 'is invalid';
}

export type Validator = ValidateFunction;
