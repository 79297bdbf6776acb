import type { SubjectRecord } from '@switchyard/sdk-kit';
import type { ConnectionOutcome, ForwardingStatus } from './dsr-types.js';

/** What one call to a connection answered; `retryAfterMs` when the destination said how long to wait. */
export interface ForwardResult {
  status: Exclude<ForwardingStatus, 'pending'>;
  error?: string;
  retryAfterMs?: number;
  records?: SubjectRecord[];
}

/** What data-subject requests need of the delivery runtime: the running connections and their hooks. */
export interface SubjectRequestForwarder {
  connectionIds(): string[];
  forwardDeletion(connectionId: string, identities: Record<string, string>): Promise<ForwardResult>;
  forwardExport(connectionId: string, identities: Record<string, string>): Promise<ForwardResult>;
}

export interface ForwardingOptions {
  /** Calls per connection before it is marked failed for this round. */
  attempts: number;
  /** Delay before the second call; doubled for each further one. */
  baseDelayMs: number;
  isStopped(): boolean;
}

/**
 * Calls `send` for every connection at once, retrying a failed call with backoff up to `attempts` times,
 * and hands each connection's last answer to `settled` as soon as it is known (so it is persisted and visible
 * in the request's status while the others are still running).
 */
export async function forwardToEach(
  connectionIds: string[],
  send: (connectionId: string) => Promise<ForwardResult>,
  settled: (connectionId: string, result: ForwardResult) => void | Promise<void>,
  options: ForwardingOptions,
): Promise<void> {
  await Promise.all(
    connectionIds.map(async (connectionId) => {
      let result = await send(connectionId);
      for (let attempt = 2; result.status === 'failed' && attempt <= options.attempts && !options.isStopped(); attempt += 1) {
        const delayMs = options.baseDelayMs * 2 ** (attempt - 2);
        // A destination that asks for a long wait (BigQuery's streaming buffer: 30 minutes) gets it in a later round.
        if ((result.retryAfterMs ?? 0) > delayMs) break;
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        result = await send(connectionId);
      }
      await settled(connectionId, result);
    }),
  );
}

/** The outcome stored on the request and shown to the controller (records are counted, not stored). */
export function outcomeOf(result: ForwardResult): ConnectionOutcome {
  return {
    status: result.status,
    ...(result.error ? { error: result.error } : {}),
    ...(result.records ? { records: result.records.length } : {}),
  };
}

/** True once no connection is waiting for, or failed, its call. */
export function allSettled(connections: Record<string, ConnectionOutcome>): boolean {
  return Object.values(connections).every((c) => c.status === 'sent' || c.status === 'skipped');
}

/**
 * Calls `send` once per identity set (one person reached under each of their identifiers) and answers as one
 * call: the first failure, or success with every record read back.
 */
export async function forwardPerSet(
  sets: ReadonlyArray<Record<string, string>>,
  send: (identities: Record<string, string>) => Promise<ForwardResult>,
): Promise<ForwardResult> {
  // A record found under two identifiers of the person is one record.
  const records = new Map<string, SubjectRecord>();
  let last: ForwardResult = { status: 'sent' };
  for (const identities of sets) {
    last = await send(identities);
    if (last.status === 'failed') return last;
    for (const record of last.records ?? []) records.set(JSON.stringify(record), record);
  }
  return { ...last, ...(records.size ? { records: [...records.values()] } : {}) };
}
