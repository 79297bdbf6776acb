import type { BaseContext } from './define-connector.js';
import type { PreparedConnection } from './executor.js';

/**
 * The context every piece of connector code gets, built in one place for the runtime's workers and the test
 * harness alike: this connection's settings, its fenced HTTP client and scrubbing logger, the task's signal.
 */
export function connectorContext(connection: PreparedConnection, signal: AbortSignal): BaseContext<never> {
  return {
    settings: connection.settings as never,
    connectionId: connection.connectionId,
    http: connection.http,
    log: connection.log,
    signal,
    dataDir: connection.dataDir,
  };
}
