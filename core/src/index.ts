export * from './queue/delivery-queue.js';
export { SqliteDeliveryQueue } from './queue/sqlite-delivery-queue.js';
export * from './delivery/retry-policy.js';
export * from './delivery/delivery-options.js';
export { DeliveryRuntime, type RuntimeConnection, type DeliveryRuntimeOptions } from './delivery/delivery-runtime.js';
export type { ConnectionStats, SettledBatch, DeliveryGate, ConnectionHealth } from './delivery/connection-dispatcher.js';
export { loadConnector, resolveConnectorModule, BUILT_IN_CONNECTORS, ConnectorLoadError } from './connectors/connector-registry.js';
export { createLogger, silentLogger, type Logger } from './logging.js';
