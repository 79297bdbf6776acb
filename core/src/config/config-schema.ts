import { CONNECTION_CONSENT_SCHEMA, PRIVACY_CONFIG_SCHEMA } from '../privacy/privacy-config.js';

const id = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$' } as const;
const positiveInt = { type: 'integer', minimum: 1 } as const;

const deliverySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    maxConcurrency: positiveInt,
    ratePerSecond: { type: 'number', exclusiveMinimum: 0 },
    requestTimeoutMs: positiveInt,
    drainTimeoutMs: positiveInt,
    batch: {
      type: 'object', additionalProperties: false,
      properties: { maxItems: positiveInt, maxBytes: positiveInt, maxWaitMs: { type: 'integer', minimum: 0 } },
    },
    retry: {
      type: 'object', additionalProperties: false,
      properties: {
        maxAttempts: positiveInt, maxAgeMs: positiveInt, baseDelayMs: positiveInt, maxDelayMs: positiveInt,
      },
    },
    breaker: {
      type: 'object', additionalProperties: false,
      properties: {
        errorThresholdPercentage: { type: 'number', minimum: 1, maximum: 100 },
        volumeThreshold: positiveInt, resetTimeoutMs: positiveInt, rollingWindowMs: positiveInt,
      },
    },
    workers: {
      type: 'object', additionalProperties: false,
      properties: { maxThreads: positiveInt, concurrentTasksPerWorker: positiveInt, taskTimeoutMs: positiveInt, maxOldGenerationSizeMb: positiveInt },
    },
  },
} as const;

/**
 * The published JSON Schema of the configuration file (`switchyard config-schema` prints it).
 * Connector settings are checked afterwards against each connector's own schema.
 */
export const CONFIG_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://switchyard.dev/schemas/config.json',
  title: 'Switchyard configuration',
  type: 'object',
  additionalProperties: false,
  required: ['sources'],
  properties: {
    server: {
      type: 'object', additionalProperties: false,
      properties: {
        host: { type: 'string', minLength: 1 },
        port: { type: 'integer', minimum: 0, maximum: 65535 },
        publicUrl: { type: 'string', format: 'uri' },
        trustProxy: { type: 'boolean' },
      },
    },
    storage: { type: 'object', additionalProperties: false, properties: { dir: { type: 'string', minLength: 1 } } },
    logging: {
      type: 'object', additionalProperties: false,
      properties: { level: { enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] } },
    },
    residency: { type: 'string', pattern: '^[a-z]{2,12}$' },
    ingestion: {
      type: 'object', additionalProperties: false,
      properties: { dedupeWindowSeconds: { type: 'integer', minimum: 0 }, dedupeCapacity: positiveInt },
    },
    privacy: PRIVACY_CONFIG_SCHEMA,
    admin: {
      type: 'object', additionalProperties: false,
      properties: { tokens: { type: 'array', items: { type: 'string', minLength: 16 } } },
    },
    dsr: {
      type: 'object', additionalProperties: false,
      properties: {
        processorDomain: { type: 'string', minLength: 1 },
        publicUrl: { type: 'string', format: 'uri' },
        certificateFile: { type: 'string' },
        privateKeyFile: { type: 'string' },
        gracePeriodMs: { type: 'integer', minimum: 0 },
        resultsTtlMs: positiveInt,
        expectedCompletionMs: positiveInt,
      },
    },
    enrichment: {
      type: 'object', additionalProperties: false,
      properties: {
        location: {
          type: 'object', additionalProperties: false,
          properties: { enabled: { type: 'boolean' }, maxmindDatabase: { type: 'string', minLength: 1 } },
        },
      },
    },
    dataPlans: {
      type: 'array',
      items: {
        type: 'object', additionalProperties: false, required: ['id'],
        properties: {
          id, version: positiveInt, file: { type: 'string', minLength: 1 }, document: { type: 'object' },
          block: {
            type: 'object', additionalProperties: false,
            properties: { unplannedEvents: { type: 'boolean' }, unplannedEventAttributes: { type: 'boolean' }, unplannedUserAttributes: { type: 'boolean' } },
          },
          quarantine: id,
        },
        oneOf: [{ required: ['file'] }, { required: ['document'] }],
      },
    },
    sources: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['id', 'type'],
        properties: { type: { enum: ['segment', 'mparticle'] } },
        if: { properties: { type: { const: 'segment' } } },
        then: {
          additionalProperties: false,
          required: ['writeKey'],
          properties: {
            id, type: { const: 'segment' }, writeKey: { type: 'string', minLength: 1 },
            ipCollection: { type: 'boolean' }, dataPlan: id,
          },
        },
        else: {
          additionalProperties: false,
          required: ['apiKey', 'apiSecret'],
          properties: {
            id, type: { const: 'mparticle' }, apiKey: { type: 'string', minLength: 1 }, apiSecret: { type: 'string', minLength: 1 },
            ipCollection: { type: 'boolean' }, dataPlan: id,
          },
        },
      },
    },
    connections: {
      type: 'array',
      items: {
        type: 'object', additionalProperties: false, required: ['id', 'connector'],
        properties: {
          id,
          connector: { type: 'string', minLength: 1 },
          sources: { type: 'array', items: id, minItems: 1 },
          enabled: { type: 'boolean' },
          settings: { type: 'object' },
          actions: { type: 'array', items: { type: 'string' }, minItems: 1 },
          mapping: { type: 'object', additionalProperties: { type: 'object' } },
          delivery: deliverySchema,
          consent: CONNECTION_CONSENT_SCHEMA,
          endpointOverrides: {
            type: 'object',
            propertyNames: { pattern: '^[A-Za-z0-9.-]+(:[0-9]+)?$' },
            additionalProperties: { type: 'string', format: 'uri', pattern: '^https?://' },
          },
          enrichment: {
            type: 'object', additionalProperties: false,
            properties: { timeoutMs: positiveInt, cacheTtlSeconds: positiveInt, cacheSize: positiveInt },
          },
        },
      },
    },
  },
} as const;
