/** `switchyard status`: is the router up and ready, and how is each connection doing. */
import { admin, formatTable, printJson, type AdminOptions } from './admin-client.js';

interface ConnectionStats {
  delivered: number;
  retried: number;
  rateLimited: number;
  deadLettered: number;
  dropped: number;
  inFlight: number;
  queued: number;
  oldestQueuedAgeSeconds: number;
  health: string;
  healthReason?: string;
  breaker: string;
}

export async function runStatus(options: AdminOptions): Promise<void> {
  const health = await admin<{ status: string; connections: number }>(options, 'GET', '/health', { anonymous: true });
  const ready = await admin<{ status: string; problems?: string[] }>(options, 'GET', '/ready', { anonymous: true, accept: [503] });
  const { json } = await admin<{ connections: Record<string, ConnectionStats> }>(options, 'GET', '/admin/v1/connections');
  if (options.json) return printJson({ health: health.json, readiness: ready.json, connections: json.connections });

  const lines = [`router    ${options.url}`, `health    ${health.json.status}`, `readiness ${ready.json.status}`];
  for (const problem of ready.json.problems ?? []) lines.push(`  - ${problem}`);
  const rows = Object.entries(json.connections).map(([id, s]) => [
    id,
    `${s.health}${s.healthReason ? ` (${s.healthReason})` : ''}`,
    s.breaker,
    String(s.queued),
    formatAge(s.oldestQueuedAgeSeconds),
    String(s.inFlight),
    String(s.delivered),
    String(s.retried),
    String(s.rateLimited),
    String(s.deadLettered),
    String(s.dropped),
  ]);
  lines.push(
    '',
    rows.length
      ? formatTable(['CONNECTION', 'HEALTH', 'BREAKER', 'QUEUED', 'AGE', 'IN FLIGHT', 'DELIVERED', 'RETRIED', 'RATE LIMITED', 'DEAD LETTERED', 'DROPPED'], rows)
      : 'no connections are running',
  );
  process.stdout.write(`${lines.join('\n')}\n`);
  if (ready.status !== 200) process.exitCode = 1;
}

/** How long the oldest queued delivery has waited, in the two largest units: `42s`, `3m12s`, `5h07m`, `2d03h`; `-` when none waits. */
function formatAge(seconds: number): string {
  if (!(seconds > 0)) return '-';
  const s = Math.floor(seconds);
  const two = (n: number) => String(n).padStart(2, '0');
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${two(s % 60)}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h${two(Math.floor(s / 60) % 60)}m`;
  return `${Math.floor(s / 86_400)}d${two(Math.floor(s / 3600) % 24)}h`;
}
