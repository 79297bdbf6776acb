import type { CanonicalEvent } from '../types.js';
import type { WarehouseType } from './column-types.js';
import { toIdentifier } from './naming.js';

/** One row bound for one table, with its values as the event had them (not yet fitted to column types). */
export interface WarehouseRow {
  table: string;
  messageId: string;
  values: Record<string, unknown>;
  /** Properties whose flattened column name another property already took. */
  collisions: Array<{ column: string; value: unknown }>;
}

/** Tables with a fixed meaning; a track event whose name snake-cases to one of these gets an `event_` prefix. */
export const STANDARD_TABLES = ['tracks', 'identifies', 'pages', 'screens', 'groups', 'aliases', 'discards', 'users', 'audience_memberships'] as const;

/** Columns every event table has, with fixed types so every table agrees on them. */
export const BASE_COLUMNS: Readonly<Record<string, WarehouseType>> = {
  id: 'text',
  received_at: 'timestamp',
  timestamp: 'timestamp',
  sent_at: 'timestamp',
  original_timestamp: 'timestamp',
  loaded_at: 'timestamp',
  user_id: 'text',
  anonymous_id: 'text',
  profile_id: 'text',
  source_id: 'text',
};

/** Columns some tables add to the base ones, also with fixed types. */
export const EXTRA_COLUMNS: Readonly<Record<string, WarehouseType>> = {
  event: 'text',
  event_text: 'text',
  name: 'text',
  group_id: 'text',
  previous_id: 'text',
};

export const RESERVED_COLUMNS = new Set([...Object.keys(BASE_COLUMNS), ...Object.keys(EXTRA_COLUMNS)]);

/** Objects nested deeper than this are kept whole in a json column instead of becoming more columns. */
export const MAX_FLATTEN_DEPTH = 3;

/** The table a track event's properties go to: its snake_cased name. */
export function eventTableName(eventName: string): string {
  const name = toIdentifier(eventName, 'unnamed_event');
  return (STANDARD_TABLES as readonly string[]).includes(name) ? `event_${name}` : name;
}

/**
 * Flattens nested objects into `parent_child` columns (snake_cased); arrays and objects deeper than
 * MAX_FLATTEN_DEPTH stay whole (json). Nulls are left out: they neither add nor type a column.
 */
export function flattenInto(
  row: Pick<WarehouseRow, 'values' | 'collisions'>,
  source: Record<string, unknown> | undefined,
  prefix: string,
  reservedPrefix: string,
  depth = 1,
): void {
  if (!source || typeof source !== 'object') return;
  for (const [key, value] of Object.entries(source)) {
    if (value === null || value === undefined) continue;
    let column = toIdentifier(prefix ? `${prefix}_${key}` : key);
    if (RESERVED_COLUMNS.has(column)) column = toIdentifier(`${reservedPrefix}_${column}`);
    const isPlainObject = typeof value === 'object' && !Array.isArray(value) && !(value instanceof Date);
    if (isPlainObject && depth < MAX_FLATTEN_DEPTH) {
      flattenInto(row, value as Record<string, unknown>, column, reservedPrefix, depth + 1);
      continue;
    }
    if (column in row.values) row.collisions.push({ column, value });
    else row.values[column] = value;
  }
}

function baseRow(table: string, event: CanonicalEvent, loadedAt: string): WarehouseRow {
  return {
    table,
    messageId: event.messageId,
    values: {
      id: event.messageId,
      received_at: event.receivedAt,
      timestamp: event.timestamp,
      sent_at: event.sentAt,
      original_timestamp: event.originalTimestamp,
      loaded_at: loadedAt,
      user_id: event.userId,
      anonymous_id: event.anonymousId,
      profile_id: event.profileId,
      source_id: event.sourceId,
    },
    collisions: [],
  };
}

function withContext(row: WarehouseRow, event: CanonicalEvent): WarehouseRow {
  flattenInto(row, event.context, 'context', 'context');
  return row;
}

/**
 * The rows one event becomes, in the Segment warehouse model: identify → identifies, page → pages,
 * screen → screens, group → groups, alias → aliases; a track (and every other named event) → one row in
 * `tracks` (common columns) and one in a table named after the event (common columns + properties).
 */
export function eventToRows(event: CanonicalEvent, loadedAt = new Date().toISOString()): WarehouseRow[] {
  switch (event.type) {
    case 'identify': {
      const row = withContext(baseRow('identifies', event, loadedAt), event);
      flattenInto(row, event.traits, '', 'trait');
      return [row];
    }
    case 'group': {
      const row = withContext(baseRow('groups', event, loadedAt), event);
      row.values.group_id = event.groupId;
      flattenInto(row, event.traits, '', 'trait');
      return [row];
    }
    case 'page':
    case 'screen': {
      const row = withContext(baseRow(event.type === 'page' ? 'pages' : 'screens', event, loadedAt), event);
      row.values.name = event.event ?? event.properties.name;
      flattenInto(row, event.properties, '', 'property');
      return [row];
    }
    case 'alias': {
      const row = withContext(baseRow('aliases', event, loadedAt), event);
      row.values.previous_id = event.previousId;
      return [row];
    }
    default: {
      const eventText = event.event ?? event.type;
      const track = withContext(baseRow('tracks', event, loadedAt), event);
      const table = eventTableName(eventText);
      track.values.event = table;
      track.values.event_text = eventText;
      const detail = withContext(baseRow(table, event, loadedAt), event);
      detail.values.event = table;
      detail.values.event_text = eventText;
      flattenInto(detail, event.properties, '', 'property');
      return [track, detail];
    }
  }
}
