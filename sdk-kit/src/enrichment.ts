import { classifyError } from './classify.js';
import { connectorContext } from './context.js';
import type { PreparedConnection } from './executor.js';
import { recheckResult, REVOKED, type SendGuard } from './send-guard.js';
import type { CanonicalEvent, ItemResult } from './types.js';

export interface EnrichmentResult {
  data?: Record<string, unknown>;
  error?: ItemResult;
}

/**
 * Runs an enrichment connector's lookup for each event (the runtime passes one event per cache key). Under the
 * runtime's send guard, a lookup of a person revoked since the events were admitted is not made (its result is
 * PRIVACY_RECHECK), and its requests are checked and held as a delivery's are.
 */
export async function executeEnrichment(
  connection: PreparedConnection,
  events: CanonicalEvent[],
  signal: AbortSignal = new AbortController().signal,
  guard?: SendGuard,
): Promise<EnrichmentResult[]> {
  const enrichment = connection.connector.enrichment;
  if (!enrichment)
    return events.map(() => ({ error: { status: 'permanent', code: 'NOT_AN_ENRICHMENT', message: `${connection.connector.name} has no enrichment` } }));
  return Promise.all(
    events.map(async (event) => {
      try {
        const lookup = () => enrichment.lookup({ ...connectorContext(connection, signal), event });
        const data = guard ? await guard.during([event], lookup) : await lookup();
        if (data === REVOKED) return { error: recheckResult() };
        return data ? { data } : {};
      } catch (error) {
        return { error: classifyError(error) };
      }
    }),
  );
}
