import { classifyError } from '../classify.js';
import type { AnyAudience, AudienceMember, BaseContext } from '../define-connector.js';
import { guardedRun, withoutRevoked, type GuardedItem, type RecordResult } from '../guarded-run.js';
import { createSchemaValidator, describeSchemaErrors, type Validator } from '../schema.js';
import type { SendGuard } from '../send-guard.js';
import type { AudienceChange, ItemResult } from '../types.js';
import { audienceIdentifiers } from './identifiers.js';

/** What the executor hands the audience run: the connector context, the task's signal, where results go, the guard. */
export interface AudienceRun {
  base: BaseContext<never>;
  signal: AbortSignal;
  record: RecordResult;
  guard?: SendGuard;
}

interface Change extends GuardedItem {
  change: AudienceChange;
  sync: Record<string, unknown>;
}

/** A change the person's identifiers made sendable. */
interface Sendable extends Change {
  member: AudienceMember;
}

export const UNMATCHED: ItemResult = { status: 'ok', code: 'UNMATCHED' };
export const SUPERSEDED: ItemResult = { status: 'ok', code: 'SUPERSEDED' };

const validators = new WeakMap<AnyAudience, Validator>();
export function syncValidator(audience: AnyAudience): Validator | undefined {
  if (!audience.syncSettings) return undefined;
  let validate = validators.get(audience);
  if (!validate) {
    validate = createSchemaValidator().compile(audience.syncSettings);
    validators.set(audience, validate);
  }
  return validate;
}

/** Why an event's `audience` field cannot be synced, or undefined when it can. */
export function audienceChangeProblem(change: unknown): string | undefined {
  const c = change as Partial<AudienceChange> | undefined;
  if (!c || typeof c !== 'object') return 'audience: an audience event needs an "audience" object';
  if (typeof c.key !== 'string' || c.key === '') return 'audience.key: must be a non-empty string';
  if (c.action !== 'add' && c.action !== 'remove') return 'audience.action: must be "add" or "remove"';
  if (typeof c.at !== 'string' || Number.isNaN(Date.parse(c.at))) return 'audience.at: must be an ISO-8601 timestamp';
  if (c.name !== undefined && typeof c.name !== 'string') return 'audience.name: must be a string';
  if (c.sync !== undefined && (typeof c.sync !== 'object' || c.sync === null || Array.isArray(c.sync))) return 'audience.sync: must be an object';
  return undefined;
}

/** JSON with object keys sorted, so equal sync settings group together whatever their key order. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Checks each change and its sync settings (filling defaults); groups the valid ones by audience and sync settings. */
function groupChanges(audience: AnyAudience, entries: readonly GuardedItem[], record: RecordResult): Map<string, Change[]> {
  const validate = syncValidator(audience);
  const groups = new Map<string, Change[]>();
  for (const { index, event } of entries) {
    const problem = audienceChangeProblem(event.audience);
    if (problem) {
      record(index, { status: 'permanent', code: 'AUDIENCE_INVALID', message: problem });
      continue;
    }
    const change = event.audience!;
    const sync = structuredClone(change.sync ?? {});
    if (validate && !validate(sync)) {
      record(index, { status: 'permanent', code: 'SYNC_SETTINGS_INVALID', message: describeSchemaErrors(validate.errors, 'audience.sync').join('; ') });
      continue;
    }
    const key = stableJson([change.key, sync]);
    const group = groups.get(key) ?? [];
    group.push({ index, event, change, sync });
    groups.set(key, group);
  }
  return groups;
}

/**
 * Within one task, only a person's last change to an audience is sent: adds and removes go in separate calls, so
 * sending an earlier `remove` after a later `add` would leave the person out. Earlier changes answer SUPERSEDED.
 */
function lastChangePerPerson(changes: Change[], members: Map<Change, AudienceMember>, record: RecordResult): Sendable[] {
  const last = new Map<string, Change>();
  for (const change of changes) {
    const member = members.get(change)!;
    last.set(member.profileId !== undefined ? `p:${member.profileId}` : `i:${stableJson(member.identifiers)}`, change);
  }
  const kept = new Set(last.values());
  return changes.flatMap((change) => {
    if (kept.has(change)) return [{ ...change, member: members.get(change)! }];
    record(change.index, SUPERSEDED);
    return [];
  });
}

function acceptedIdentifiers(audience: AnyAudience, settings: unknown, sync: Record<string, unknown>): readonly string[] | 'all' {
  return typeof audience.identifiers === 'function' ? audience.identifiers(settings, sync) : audience.identifiers;
}

/**
 * Runs a connector's audience sync on a task's `type: 'audience'` events: groups them by audience key, action and
 * sync settings, answers people without an identifier the destination accepts UNMATCHED without calling it, and
 * calls `sync` with at most `maxMembersPerCall` members at a time, under the same send guard as actions.
 */
export async function executeAudience(audience: AnyAudience, settings: unknown, entries: readonly GuardedItem[], run: AudienceRun): Promise<void> {
  const { record, guard, signal, base } = run;
  const call = guardedRun(guard, record);
  const size = Math.max(1, Math.floor(audience.maxMembersPerCall));
  for (const changes of groupChanges(audience, entries, record).values()) {
    const { change: first, sync } = changes[0]!;
    const accepted = acceptedIdentifiers(audience, settings, sync);
    const members = new Map<Change, AudienceMember>();
    const matched = changes.filter((change) => {
      const identifiers = audienceIdentifiers(change.event, accepted);
      if (Object.keys(identifiers).length === 0) {
        record(change.index, UNMATCHED);
        return false;
      }
      members.set(change, { messageId: change.event.messageId, profileId: change.event.profileId, identifiers, event: change.event });
      return true;
    });
    const sendable = withoutRevoked(guard, lastChangePerPerson(matched, members, record), record);
    for (const action of ['add', 'remove'] as const) {
      const ofAction = sendable.filter((s) => s.change.action === action);
      for (let start = 0; start < ofAction.length; start += size) {
        const chunk = ofAction.slice(start, start + size);
        if (signal.aborted) {
          for (const s of chunk) record(s.index, { status: 'retryable', code: 'ABORTED', message: 'task aborted before this audience change ran' });
          continue;
        }
        try {
          const ran = await call(chunk, () =>
            audience.sync({
              ...base,
              audience: { key: first.key, ...(first.name !== undefined ? { name: first.name } : {}) },
              action,
              sync,
              members: chunk.map((s) => s.member),
            }),
          );
          if (!ran) continue;
          chunk.forEach((s, i) => record(s.index, (ran.value ?? [])[i] ?? { status: 'ok' }));
        } catch (error) {
          const result = classifyError(error);
          for (const s of chunk) record(s.index, result);
        }
      }
    }
  }
}
