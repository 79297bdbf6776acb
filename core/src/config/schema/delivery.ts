import { Type } from '@sinclair/typebox';
import { closed, PositiveInt } from './common.js';

/** `connections[].delivery`: each key overrides the connector's default, then Switchyard's. */
export const DELIVERY_OVERRIDES_SCHEMA = Type.Object(
  {
    maxConcurrency: Type.Optional(PositiveInt),
    ratePerSecond: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    requestTimeoutMs: Type.Optional(PositiveInt),
    drainTimeoutMs: Type.Optional(PositiveInt),
    batch: Type.Optional(
      Type.Object(
        {
          maxItems: Type.Optional(PositiveInt),
          maxBytes: Type.Optional(PositiveInt),
          maxWaitMs: Type.Optional(Type.Integer({ minimum: 0 })),
        },
        closed,
      ),
    ),
    retry: Type.Optional(
      Type.Object(
        {
          maxAttempts: Type.Optional(PositiveInt),
          maxAgeMs: Type.Optional(PositiveInt),
          baseDelayMs: Type.Optional(PositiveInt),
          maxDelayMs: Type.Optional(PositiveInt),
        },
        closed,
      ),
    ),
    breaker: Type.Optional(
      Type.Object(
        {
          errorThresholdPercentage: Type.Optional(Type.Number({ minimum: 1, maximum: 100 })),
          volumeThreshold: Type.Optional(PositiveInt),
          resetTimeoutMs: Type.Optional(PositiveInt),
          rollingWindowMs: Type.Optional(PositiveInt),
        },
        closed,
      ),
    ),
    workers: Type.Optional(
      Type.Object(
        {
          maxThreads: Type.Optional(PositiveInt),
          concurrentTasksPerWorker: Type.Optional(PositiveInt),
          taskTimeoutMs: Type.Optional(PositiveInt),
          maxOldGenerationSizeMb: Type.Optional(PositiveInt),
        },
        closed,
      ),
    ),
  },
  closed,
);
