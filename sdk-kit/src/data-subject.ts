import { classifyError } from './classify.js';
import { connectorContext } from './context.js';
import type { PreparedConnection } from './executor.js';
import { scrubSecrets } from './secrets.js';
import type { ItemResult, SubjectRecord } from './types.js';

/** What a connector's `onExport` answered: its result, and the records it read back when it succeeded. */
export interface ExportOutcome {
  result: ItemResult;
  records: SubjectRecord[];
}

function subjectContext(connection: PreparedConnection, identities: Record<string, string>, signal: AbortSignal) {
  return { ...connectorContext(connection, signal), user: { identities } };
}

function failure(connection: PreparedConnection, error: unknown): ItemResult {
  const result = classifyError(error);
  return result.message ? { ...result, message: scrubSecrets(result.message, connection.secrets) } : result;
}

/**
 * Forwards a data-subject erasure to `onDelete` (`NO_DELETE_SUPPORT` when the connector has none). The single
 * path for the runtime's workers and the test harness.
 */
export async function executeDeletion(
  connection: PreparedConnection,
  identities: Record<string, string>,
  signal: AbortSignal = new AbortController().signal,
): Promise<ItemResult> {
  const onDelete = connection.connector.onDelete;
  if (!onDelete) return { status: 'ok', code: 'NO_DELETE_SUPPORT' };
  try {
    await onDelete(subjectContext(connection, identities, signal));
    return { status: 'ok' };
  } catch (error) {
    return failure(connection, error);
  }
}

/**
 * Reads back a data subject's records with `onExport` (`NO_EXPORT_SUPPORT` when the connector has none),
 * made JSON-safe so they cross the worker boundary and land in the export file as read.
 */
export async function executeExport(
  connection: PreparedConnection,
  identities: Record<string, string>,
  signal: AbortSignal = new AbortController().signal,
): Promise<ExportOutcome> {
  const onExport = connection.connector.onExport;
  if (!onExport) return { result: { status: 'ok', code: 'NO_EXPORT_SUPPORT' }, records: [] };
  let records: unknown;
  try {
    records = await onExport(subjectContext(connection, identities, signal));
  } catch (error) {
    return { result: failure(connection, error), records: [] };
  }
  const problem = describeInvalidRecords(records);
  if (problem)
    return {
      result: { status: 'permanent', code: 'EXPORT_INVALID', message: `onExport of connector "${connection.connector.name}": ${problem}` },
      records: [],
    };
  return {
    result: { status: 'ok' },
    records: (records as SubjectRecord[]).map((r) => ({ source: r.source, data: toJsonSafe(r.data) as Record<string, unknown> })),
  };
}

function describeInvalidRecords(records: unknown): string | undefined {
  if (!Array.isArray(records)) return `must return an array of { source, data } records, got ${typeof records}`;
  const index = records.findIndex(
    (r) =>
      !r ||
      typeof r !== 'object' ||
      typeof (r as SubjectRecord).source !== 'string' ||
      !(r as SubjectRecord).data ||
      typeof (r as SubjectRecord).data !== 'object' ||
      Array.isArray((r as SubjectRecord).data),
  );
  return index === -1 ? undefined : `record [${index}] must be { source: string, data: object }`;
}

/** Database drivers hand back bigints, Dates and buffers; an export is JSON, so they become numbers and strings. */
export function toJsonSafe(value: unknown): unknown {
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return value.map(toJsonSafe);
  if (value && typeof value === 'object') {
    if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return toJsonSafe((value as { toJSON(): unknown }).toJSON());
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJsonSafe(v)]));
  }
  if (typeof value === 'number' && !Number.isFinite(value)) return null;
  return value === undefined ? null : value;
}
