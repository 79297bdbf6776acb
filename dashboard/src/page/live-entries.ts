import type { SseMessage } from './sse.js';

/** The live stream's messages (`GET /admin/v1/live`), as the panel holds them. */
export interface Hello {
  kind: 'hello';
  sources: string[];
  connections: string[];
}

export interface InboundEntry {
  kind: 'inbound';
  key: number;
  at: string;
  source: string;
  messageId: string;
  type: string;
  event: string | null;
  body: unknown;
}

export interface AttemptItem {
  messageId: string;
  outcome: 'delivered' | 'retried' | 'dead_lettered' | 'dropped';
  code?: string;
  httpStatus?: number;
  message?: string;
}

export interface Exchange {
  method: string;
  url: string;
  status?: number;
  durationMs?: number;
  request: { headers: Record<string, string>; body?: unknown };
  response?: { headers: Record<string, string>; body?: unknown };
  error?: string;
}

export interface AttemptEntry {
  kind: 'attempt';
  key: number;
  at: string;
  connection: string;
  items: AttemptItem[];
  exchanges: Exchange[];
}

export type LiveEntry = InboundEntry | AttemptEntry;

export const MAX_ENTRIES = 200;
export const LIVE_KINDS = ['inbound', 'attempt'] as const;

export interface LiveFilter {
  sources: readonly string[];
  connections: readonly string[];
  kinds: readonly string[];
  maskPii: boolean;
}

/** The query of `GET /admin/v1/live` for a filter; empty lists mean every source or connection. */
export function liveQuery(filter: LiveFilter): string {
  const query = new URLSearchParams();
  if (filter.sources.length) query.set('source', [...filter.sources].sort().join(','));
  if (filter.connections.length) query.set('connection', [...filter.connections].sort().join(','));
  query.set('kind', [...filter.kinds].join(','));
  if (filter.maskPii) query.set('mask', 'pii');
  return query.toString();
}

const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []);

/** One stream message as an entry (or the hello), undefined for messages the panel does not know or cannot read. */
export function entryOf(message: SseMessage, key: number): LiveEntry | Hello | undefined {
  let data: Record<string, unknown>;
  try {
    data = JSON.parse(message.data) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (typeof data !== 'object' || data === null) return undefined;
  const at = typeof data.at === 'string' ? data.at : new Date().toISOString();
  switch (message.event) {
    case 'hello':
      return { kind: 'hello', sources: strings(data.sources), connections: strings(data.connections) };
    case 'inbound':
      return {
        kind: 'inbound',
        key,
        at,
        source: String(data.source ?? ''),
        messageId: String(data.messageId ?? ''),
        type: String(data.type ?? ''),
        event: typeof data.event === 'string' ? data.event : null,
        body: data.body,
      };
    case 'attempt':
      return {
        kind: 'attempt',
        key,
        at,
        connection: String(data.connection ?? ''),
        items: Array.isArray(data.items) ? (data.items as AttemptItem[]) : [],
        exchanges: Array.isArray(data.exchanges) ? (data.exchanges as Exchange[]) : [],
      };
    default:
      return undefined;
  }
}

/** `held` with `entry` added, newest first, at most `max`. */
export function keepLatest(held: readonly LiveEntry[], entry: LiveEntry, max = MAX_ENTRIES): LiveEntry[] {
  return [entry, ...held.slice(0, max - 1)];
}

/** `delivered 3 · dead_lettered 1 (HTTP_503)`: the outcomes of an attempt's items. */
export function outcomeSummary(items: readonly AttemptItem[]): string {
  const counts = new Map<string, { n: number; codes: Set<string> }>();
  for (const item of items) {
    const entry = counts.get(item.outcome) ?? { n: 0, codes: new Set<string>() };
    entry.n += 1;
    if (item.code) entry.codes.add(item.code);
    counts.set(item.outcome, entry);
  }
  return [...counts].map(([outcome, { n, codes }]) => `${outcome} ${n}${codes.size ? ` (${[...codes].join(', ')})` : ''}`).join(' · ');
}
