import { classifyError } from './classify.js';
import { connectorContext } from './context.js';
import type { PreparedConnection } from './executor.js';
import type { CanonicalEvent, ItemResult } from './types.js';

export interface EnrichmentResult {
  data?: Record<string, unknown>;
  error?: ItemResult;
}

/** Runs an enrichment connector's lookup for each event (the runtime passes one event per cache key). */
export async function executeEnrichment(
  connection: PreparedConnection,
  events: CanonicalEvent[],
  signal: AbortSignal = new AbortController().signal,
): Promise<EnrichmentResult[]> {
  const enrichment = connection.connector.enrichment;
  if (!enrichment)
    return events.map(() => ({ error: { status: 'permanent', code: 'NOT_AN_ENRICHMENT', message: `${connection.connector.name} has no enrichment` } }));
  return Promise.all(
    events.map(async (event) => {
      try {
        const data = await enrichment.lookup({ ...connectorContext(connection, signal), event });
        return data ? { data } : {};
      } catch (error) {
        return { error: classifyError(error) };
      }
    }),
  );
}
