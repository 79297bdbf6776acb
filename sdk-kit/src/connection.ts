import type { DestinationStream } from 'pino';
import type { AnyConnector } from './define-connector.js';
import type { PreparedConnection } from './executor.js';
import { createHttpClient } from './http-client.js';
import { RateLimiter } from './rate-limiter.js';
import { createConnectorLogger } from './logger.js';
import type { Mapping } from './mapping/index.js';
import { checkSettings } from './manifest.js';
import { secretValues } from './secrets.js';
import type { ExchangeSink } from './http-exchange.js';
import type { RequestGuard } from './send-guard.js';

export interface ConnectionOptions {
  connectionId: string;
  settings: unknown;
  /** This connection's own directory for local files. */
  dataDir: string;
  mappingOverrides?: Record<string, Record<string, Mapping>>;
  enabledActions?: readonly string[];
  requestTimeoutMs?: number;
  /** `perform` calls of one task in flight at once (see PreparedConnection). */
  eventConcurrency?: number;
  /** `perform` calls started per second, in this thread. */
  performsPerSecond?: number;
  logDestination?: DestinationStream;
  logLevel?: string;
  /** Declared egress host → base URL (vendor sandboxes, contract tests); see createHttpClient. */
  endpointOverrides?: Readonly<Record<string, string>>;
  /** The runtime's last privacy check before each outbound request (absent in the test harness). */
  requestGuard?: RequestGuard;
  /** Where ctx.http hands each exchange while the router records them (the live view). */
  exchangeSink?: ExchangeSink;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

export function egressFor(connector: AnyConnector, settings: unknown): readonly string[] {
  return typeof connector.egress === 'function' ? connector.egress(settings as never) : connector.egress;
}

export function regionsFor(connector: AnyConnector, settings: unknown): readonly string[] {
  const regions = connector.regions;
  if (!regions) return [];
  return typeof regions === 'function' ? regions(settings as never) : regions;
}

/** Builds everything a connector's code is handed: its own settings, a fenced HTTP client, a scrubbing logger. */
export function prepareConnection(connector: AnyConnector, options: ConnectionOptions): PreparedConnection {
  // Validation also fills the schema's defaults, so connector code can rely on them.
  const settings = structuredClone(options.settings ?? {});
  const problems = checkSettings(connector, settings);
  if (problems.length) {
    throw new Error(`connection "${options.connectionId}" has invalid settings for connector "${connector.name}": ${problems.join('; ')}`);
  }
  const secrets = secretValues(connector.settings, settings);
  return {
    connector,
    connectionId: options.connectionId,
    settings,
    secrets,
    dataDir: options.dataDir,
    mappingOverrides: options.mappingOverrides,
    enabledActions: options.enabledActions,
    ...(options.eventConcurrency ? { eventConcurrency: options.eventConcurrency } : {}),
    ...(options.performsPerSecond ? { rate: new RateLimiter(options.performsPerSecond) } : {}),
    http: createHttpClient({
      connectorName: connector.name,
      egress: egressFor(connector, settings),
      timeoutMs: options.requestTimeoutMs ?? connector.defaults?.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      userAgent: `switchyard-connector-${connector.name}/${connector.version}`,
      endpointOverrides: options.endpointOverrides,
      requestGuard: options.requestGuard,
      ...(options.exchangeSink ? { exchanges: { sink: options.exchangeSink, secrets } } : {}),
    }),
    log: createConnectorLogger({
      connectionId: options.connectionId,
      connector: connector.name,
      secrets,
      level: options.logLevel,
      destination: options.logDestination,
    }),
  };
}
