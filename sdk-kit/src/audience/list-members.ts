import { classifyError } from '../classify.js';
import { connectorContext } from '../context.js';
import type { PreparedConnection } from '../executor.js';
import { describeSchemaErrors } from '../schema.js';
import { scrubSecrets } from '../secrets.js';
import type { ItemResult } from '../types.js';
import { syncValidator } from './audience-executor.js';
import { normalizeAudienceIdentifier } from './identifiers.js';

/** What one page of `listMembers` came to: its result, and when it succeeded the members (identifiers normalised) and the next cursor. */
export interface ListMembersOutcome {
  result: ItemResult;
  members: Array<{ identifiers: Record<string, string> }>;
  next?: string;
  total?: number;
}

export interface ListMembersRequest {
  audience: { key: string; name?: string };
  sync: Record<string, unknown>;
  cursor?: string;
}

const failed = (result: ItemResult): ListMembersOutcome => ({ result, members: [] });

/**
 * Reads one page of what a destination audience holds with the connector's `audience.listMembers`
 * (`NO_LIST_SUPPORT` when it has none). The single path for the runtime's workers and the test harness.
 */
export async function executeListMembers(
  connection: PreparedConnection,
  request: ListMembersRequest,
  signal: AbortSignal = new AbortController().signal,
): Promise<ListMembersOutcome> {
  const audience = connection.connector.audience;
  if (!audience?.listMembers)
    return failed({ status: 'permanent', code: 'NO_LIST_SUPPORT', message: `connector "${connection.connector.name}" cannot list audience members` });
  const sync = structuredClone(request.sync);
  const validate = syncValidator(audience);
  if (validate && !validate(sync)) {
    return failed({ status: 'permanent', code: 'SYNC_SETTINGS_INVALID', message: describeSchemaErrors(validate.errors, 'audience.sync').join('; ') });
  }
  try {
    const page = await audience.listMembers({
      ...connectorContext(connection, signal),
      audience: request.audience,
      sync,
      ...(request.cursor !== undefined ? { cursor: request.cursor } : {}),
    });
    const members = (page?.members ?? []).flatMap((m) => {
      const identifiers: Record<string, string> = {};
      for (const [type, value] of Object.entries(m?.identifiers ?? {})) {
        const normalized = typeof value === 'string' ? normalizeAudienceIdentifier(type, value) : undefined;
        if (normalized !== undefined) identifiers[type] = normalized;
      }
      return Object.keys(identifiers).length ? [{ identifiers }] : [];
    });
    return {
      result: { status: 'ok' },
      members,
      ...(typeof page?.next === 'string' && page.next !== '' ? { next: page.next } : {}),
      ...(typeof page?.total === 'number' ? { total: page.total } : {}),
    };
  } catch (error) {
    const result = classifyError(error);
    return failed(result.message ? { ...result, message: scrubSecrets(result.message, connection.secrets) } : result);
  }
}
