import { actionTakes, selectActions, type CanonicalEvent } from '@switchyard/sdk-kit';
import type { ResolvedConnection } from '../config/resolve-config.js';

/**
 * The connections an event is for: those listening to its source, with an enabled action that takes
 * it, and not excluded by the event's `integrations` object (`{"All": false, "Webhook": true}`), whose
 * keys are matched case-insensitively against the connection id and the connector name.
 */
export function connectionsFor(event: CanonicalEvent, connections: readonly ResolvedConnection[]): string[] {
  return connections
    .filter((c) => !c.sources || c.sources.includes(event.sourceId))
    .filter((c) => integrationEnabled(event.integrations, c))
    .filter((c) => selectActions({ connector: c.connector, enabledActions: c.enabledActions }).some(([, action]) => actionTakes(action, event)))
    .map((c) => c.id);
}

function integrationEnabled(integrations: Record<string, unknown> | undefined, connection: ResolvedConnection): boolean {
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
