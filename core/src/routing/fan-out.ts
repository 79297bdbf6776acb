import { actionTakes, selectActions, type AnyConnector, type CanonicalEvent } from '@switchyard/sdk-kit';

/** What fan-out needs of a connection. */
export interface FanOutConnection {
  id: string;
  connector: AnyConnector;
  enabledActions?: string[];
  sources?: string[];
}

export interface FanOutOptions {
  /** System events (rectification) and quarantine copies are not from a source a connection listens to. */
  anySource?: boolean;
  /** Quarantine copies go to the operator's quarantine connection whatever the event's `integrations` say. */
  ignoreIntegrations?: boolean;
}

/**
 * The connections an event is for: those listening to its source, with an enabled action that takes
 * it, and not excluded by the event's `integrations` object (`{"All": false, "Webhook": true}`), whose
 * keys are matched case-insensitively against the connection id and the connector name.
 */
export function connectionsFor<C extends FanOutConnection>(event: CanonicalEvent, connections: readonly C[], options: FanOutOptions = {}): C[] {
  return explainFanOut(event, connections, options).chosen;
}

/** Fan-out with the reason each other connection does not get the event: `source`, `integrations`, `no_action`. */
export function explainFanOut<C extends FanOutConnection>(
  event: CanonicalEvent,
  connections: readonly C[],
  options: FanOutOptions = {},
): { chosen: C[]; skipped: Array<{ connection: string; reason: 'source' | 'integrations' | 'no_action' }> } {
  const chosen: C[] = [];
  const skipped: Array<{ connection: string; reason: 'source' | 'integrations' | 'no_action' }> = [];
  for (const c of connections) {
    if (!options.anySource && c.sources && !c.sources.includes(event.sourceId)) skipped.push({ connection: c.id, reason: 'source' });
    else if (!options.ignoreIntegrations && !integrationEnabled(event.integrations, c)) skipped.push({ connection: c.id, reason: 'integrations' });
    else if (!takes(c, event)) {
      skipped.push({ connection: c.id, reason: 'no_action' });
    } else chosen.push(c);
  }
  return { chosen, skipped };
}

/** Audience membership changes go to connectors with an audience sync; every other event to an enabled action that takes it. */
function takes(c: FanOutConnection, event: CanonicalEvent): boolean {
  if (event.type === 'audience') return c.connector.audience !== undefined;
  return selectActions({ connector: c.connector, enabledActions: c.enabledActions }).some(([, action]) => actionTakes(action, event));
}

function integrationEnabled(integrations: Record<string, unknown> | undefined, connection: FanOutConnection): boolean {
  if (!integrations) return true;
  const names = new Set([connection.id.toLowerCase(), connection.connector.name.toLowerCase()]);
  let all = true;
  let explicit: boolean | undefined;
  for (const [key, value] of Object.entries(integrations)) {
    if (key.toLowerCase() === 'all') all = value !== false;
    else if (names.has(key.toLowerCase())) explicit = value !== false;
  }
  return explicit ?? all;
}
