import {
  executeEvents, prepareConnection, type AnyConnector, type CanonicalEvent, type PreparedConnection,
} from '@switchyard/sdk-kit';

export function makeEvent(overrides: Partial<CanonicalEvent> = {}): CanonicalEvent {
  return {
    messageId: 'msg-1', type: 'track', event: 'Order Completed', userId: 'user-1', anonymousId: 'anon-1', identities: {},
    traits: {}, properties: {}, context: {}, timestamp: '2026-11-20T10:00:00.000Z', receivedAt: '2026-11-20T10:00:01.000Z',
    sourceId: 'src-1', ...overrides,
  };
}

/** Prepares a connection exactly as the runtime's workers do, in this thread. */
export function connect(connector: unknown, settings: Record<string, unknown>, dataDir: string): PreparedConnection {
  return prepareConnection(connector as AnyConnector, { connectionId: 'conn-duck', settings, dataDir, logLevel: 'silent' });
}

export const run = (prepared: PreparedConnection, events: CanonicalEvent[]) => executeEvents(prepared, events);

/** Calls the connector's onDelete as the runtime does for a data-subject erasure. */
export async function runDelete(prepared: PreparedConnection, identities: Record<string, string>): Promise<void> {
  await prepared.connector.onDelete!({
    settings: prepared.settings as never, connectionId: prepared.connectionId, http: prepared.http, log: prepared.log,
    signal: new AbortController().signal, dataDir: prepared.dataDir, user: { identities },
  });
}
