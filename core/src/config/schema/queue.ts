import { Type } from '@sinclair/typebox';
import { closed } from './common.js';

/**
 * Where accepted events wait for delivery: the embedded SQLite queue in the storage dir (default), or NATS
 * JetStream, which several routers share (docs/architecture.md, "The queue").
 */
export const QUEUE_SCHEMA = Type.Union([
  Type.Object({ type: Type.Literal('sqlite') }, closed),
  Type.Object(
    {
      type: Type.Literal('nats'),
      /** NATS server URLs, e.g. nats://127.0.0.1:4222; JetStream must be enabled. */
      servers: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
      /** Prefix of the deployment's streams, subjects and bucket, so several deployments (and test runs) share one NATS. */
      stream: Type.String({ pattern: '^[A-Za-z0-9_-]{1,32}$' }),
      /**
       * How long a router may go silent on a delivery it holds before JetStream gives it to another router (default
       * 30000). Routers extend it while they work, so it bounds how soon a crashed router's deliveries move on.
       */
      ackWaitMs: Type.Optional(Type.Integer({ minimum: 1000, maximum: 3_600_000 })),
    },
    closed,
  ),
]);
