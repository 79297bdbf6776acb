import type { Got } from 'got';
import type { Logger } from 'pino';
import { classifyError } from './classify.js';
import type { AnyAction, AnyConnector, BatchItem } from './define-connector.js';
import { evaluateMapping, mergeMappings, type Mapping } from './mapping/index.js';
import { createSchemaValidator, describeSchemaErrors, type Validator } from './schema.js';
import { connectorContext } from './context.js';
import { scrubSecrets } from './secrets.js';
import { executeAudience } from './audience/audience-executor.js';
import { guardedRun, withoutRevoked, type GuardedRun, type RecordResult } from './guarded-run.js';
import type { SendGuard } from './send-guard.js';
import { runOverlapped } from './overlap.js';
import type { RateLimiter } from './rate-limiter.js';
import type { CanonicalEvent, ItemOutcome, ItemResult } from './types.js';

/** What the runtime (or the test harness) prepares once per connection before running tasks. */
export interface PreparedConnection {
  connector: AnyConnector;
  connectionId: string;
  settings: unknown;
  http: Got;
  log: Logger;
  secrets: readonly string[];
  dataDir: string;
  /** Operator mapping overrides, per action name. */
  mappingOverrides?: Record<string, Record<string, Mapping>>;
  /** Only these actions run; all of the connector's when absent. */
  enabledActions?: readonly string[];
  /** How many `perform` calls of one task may be in flight at once (1 when absent). */
  eventConcurrency?: number;
  /** Paces `perform` calls (per-event connections under a rate limit). */
  rate?: RateLimiter;
}

const SEVERITY: Record<ItemOutcome, number> = { ok: 0, retryable: 1, rate_limited: 2, permanent: 3, authentication: 4 };

/** True when a subscription (of an action or an enrichment) takes this event. */
export function subscriptionTakes(subscribe: AnyAction['subscribe'], event: CanonicalEvent): boolean {
  const { types, where } = subscribe;
  if (types !== 'all' && !types.includes(event.type)) return false;
  return where ? where(event) : true;
}

/** True when the action takes this event. Audience membership changes go to the connector's `audience`, never to actions. */
export function actionTakes(action: AnyAction, event: CanonicalEvent): boolean {
  if (event.type === 'audience') return false;
  return subscriptionTakes(action.subscribe, event);
}

export function selectActions(connection: Pick<PreparedConnection, 'connector' | 'enabledActions'>): [string, AnyAction][] {
  return Object.entries(connection.connector.actions as Record<string, AnyAction>).filter(
    ([name]) => !connection.enabledActions || connection.enabledActions.includes(name),
  );
}

const validators = new WeakMap<AnyAction, Validator>();
function payloadValidator(action: AnyAction): Validator {
  let validate = validators.get(action);
  if (!validate) {
    validate = createSchemaValidator().compile(action.fields);
    validators.set(action, validate);
  }
  return validate;
}

interface Prepared {
  index: number;
  event: CanonicalEvent;
  item: BatchItem<unknown>;
}

/**
 * Runs every enabled action on a list of events, and the connector's audience sync on its `audience` events, and
 * returns one plain result per event, in order. This is the single path for the runtime's workers and for the test
 * harness, so what a connector author tests is what production runs.
 */
export async function executeEvents(
  connection: PreparedConnection,
  events: CanonicalEvent[],
  signal: AbortSignal = new AbortController().signal,
  guard?: SendGuard,
): Promise<ItemResult[]> {
  const results: ItemResult[] = events.map(() => ({ status: 'ok', code: 'NOT_SUBSCRIBED' }));
  const record: RecordResult = (index, result) => {
    const current = results[index]!;
    if (current.code === 'NOT_SUBSCRIBED' || SEVERITY[result.status] > SEVERITY[current.status]) {
      results[index] = result.message ? { ...result, message: scrubSecrets(result.message, connection.secrets) } : result;
    }
  };

  for (const [actionName, action] of selectActions(connection)) {
    const mapping = mergeMappings(action.defaultMapping, connection.mappingOverrides?.[actionName]);
    const validate = payloadValidator(action);
    const prepared: Prepared[] = [];
    events.forEach((event, index) => {
      if (!actionTakes(action, event)) return;
      const payload = evaluateMapping(mapping, event);
      if (!validate(payload)) {
        const problems = describeSchemaErrors(validate.errors, 'payload').join('; ');
        record(index, { status: 'permanent', code: 'PAYLOAD_INVALID', message: `action "${actionName}": ${problems}` });
        return;
      }
      prepared.push({ index, event, item: { payload, event, messageId: event.messageId } });
    });
    const sendable = withoutRevoked(guard, prepared, record);
    if (sendable.length === 0) continue;
    const base = connectorContext(connection, signal);
    const run = guardedRun(guard, record);
    if (action.performBatch && useBatch(action, connection.settings)) {
      await runBatches(action, sendable, base, record, run);
    } else {
      await runOverlapped(sendable, connection.eventConcurrency ?? 1, laneOf(connection.connector), async (p) => {
        if (signal.aborted || (connection.rate && !(await connection.rate.acquire(signal)))) {
          record(p.index, { status: 'retryable', code: 'ABORTED', message: 'task aborted before this item ran' });
          return;
        }
        try {
          if (await run([p], () => action.perform({ ...base, ...p.item }))) record(p.index, { status: 'ok' });
        } catch (error) {
          record(p.index, classifyError(error));
        }
      });
    }
  }
  const audience = connection.connector.audience;
  const changes = audience ? events.flatMap((event, index) => (event.type === 'audience' ? [{ index, event }] : [])) : [];
  if (audience && changes.length > 0) {
    await executeAudience(audience, connection.settings, changes, { base: connectorContext(connection, signal), signal, record, guard });
  }
  return results;
}

/** Under `ordering: 'per-user'` one user's events run one after another; otherwise every event may overlap. */
function laneOf(connector: AnyConnector): ((p: Prepared) => string | undefined) | undefined {
  if (connector.ordering !== 'per-user') return undefined;
  return (p) => p.event.userId ?? p.event.anonymousId;
}

function useBatch(action: AnyAction, settings: unknown): boolean {
  return action.batchWhen ? action.batchWhen(settings) : true;
}

async function runBatches(
  action: AnyAction,
  prepared: Prepared[],
  base: Omit<Parameters<NonNullable<AnyAction['performBatch']>>[0], 'items'>,
  record: RecordResult,
  run: GuardedRun,
): Promise<void> {
  const size = action.batch?.maxItems ?? prepared.length;
  for (let start = 0; start < prepared.length; start += size) {
    const chunk = prepared.slice(start, start + size);
    try {
      const ran = await run(chunk, () => action.performBatch!({ ...base, items: chunk.map((p) => p.item) }));
      if (!ran) continue;
      const itemResults = ran.value;
      chunk.forEach((p, i) => record(p.index, (itemResults ?? [])[i] ?? { status: 'ok' }));
    } catch (error) {
      const result = classifyError(error);
      for (const p of chunk) record(p.index, result);
    }
  }
}
