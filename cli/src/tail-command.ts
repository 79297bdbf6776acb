/** `switchyard tail`: a running router's live view — inbound events and delivery attempts as they happen. */
import { errorMessageOf, reachRouter, type AdminOptions } from './admin-client.js';
import { readServerSentEvents } from './server-sent-events.js';

export interface TailOptions extends AdminOptions {
  source?: string;
  connection?: string;
  kind?: string;
  maskPii?: boolean;
  rate?: string;
  /** Print each attempt's requests and responses too. */
  verbose?: boolean;
}

interface Exchange {
  method: string;
  url: string;
  status?: number;
  durationMs?: number;
  request: { body?: string };
  response?: { body?: string };
  error?: string;
}

export async function runTail(options: TailOptions): Promise<void> {
  const token = options.token ?? process.env.SWITCHYARD_ADMIN_TOKEN;
  if (!token) throw new Error('no admin token: pass --token or set SWITCHYARD_ADMIN_TOKEN (one of admin.tokens in the config)');
  const query = new URLSearchParams();
  if (options.source) query.set('source', options.source);
  if (options.connection) query.set('connection', options.connection);
  if (options.kind) query.set('kind', options.kind);
  if (options.maskPii) query.set('mask', 'pii');
  if (options.rate) query.set('rate', options.rate);
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  const response = await reachRouter(options.url, `/admin/v1/live?${query}`, { headers: { authorization: `Bearer ${token}` }, signal: stop.signal });
  if (response.status !== 200) {
    throw new Error(`GET /admin/v1/live answered ${response.status}: ${errorMessageOf(await response.text())}`);
  }
  try {
    for await (const { event, data } of readServerSentEvents(response.body!)) {
      const parsed = JSON.parse(data) as LiveData;
      process.stdout.write(options.json ? `${JSON.stringify({ event, ...parsed })}\n` : describe(event, parsed, options.verbose === true));
    }
  } catch (error) {
    if (stop.signal.aborted) return;
    throw error;
  }
  if (!stop.signal.aborted) process.stderr.write('the router ended the stream (it stopped or reloaded its admin API)\n');
}

/** The fields of the live view's events that tail prints (docs/operations.md has them all). */
interface LiveData {
  at?: string;
  sources: string[];
  connections: string[];
  maskPii?: boolean;
  source: string;
  type: string;
  event?: string | null;
  messageId: string;
  outcome: string;
  skipped?: Array<{ connection: string; reason: string }>;
  connection: string;
  items: Array<{ messageId: string; outcome: string; code?: string; message?: string }>;
  exchanges: Exchange[];
  missed: number;
}

function describe(event: string, data: LiveData, verbose: boolean): string {
  const at = typeof data.at === 'string' ? data.at.slice(11, 23) : '';
  switch (event) {
    case 'hello':
      return `watching sources ${data.sources.join(', ') || '(none)'}; connections ${data.connections.join(', ') || '(none)'}${data.maskPii ? '; personal data masked' : ''}\n`;
    case 'inbound': {
      const name = data.event ? ` "${data.event}"` : '';
      const where = data.outcome === 'routed' ? `→ ${data.connections.join(', ')}` : data.outcome;
      const skipped = (data.skipped ?? []).map((s) => `${s.connection} (${s.reason})`);
      return `${at}  inbound  ${data.source}  ${data.type}${name}  ${data.messageId}  ${where}${skipped.length ? `; skipped ${skipped.join(', ')}` : ''}\n`;
    }
    case 'attempt': {
      const items = data.items.map((item) => `${item.messageId} ${item.outcome}${item.code ? ` ${item.code}` : ''}${item.message ? `: ${item.message}` : ''}`);
      const exchanges = data.exchanges.map((x) => {
        const line = `    ${x.method} ${x.url} → ${x.status ?? x.error ?? '?'}${x.durationMs !== undefined ? ` ${Math.round(x.durationMs)} ms` : ''}`;
        if (!verbose) return line;
        return [line, x.request.body && `      request: ${x.request.body}`, x.response?.body && `      response: ${x.response.body}`]
          .filter(Boolean)
          .join('\n');
      });
      return `${at}  attempt  ${data.connection}  ${items.join('; ')}\n${exchanges.map((x) => `${x}\n`).join('')}`;
    }
    case 'lagged':
      return `(${data.missed} events missed: this terminal read too slowly)\n`;
    default:
      return '';
  }
}
