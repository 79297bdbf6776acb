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
      ? formatTable(['CONNECTION', 'HEALTH', 'BREAKER', 'QUEUED', 'IN FLIGHT', 'DELIVERED', 'RETRIED', 'RATE LIMITED', 'DEAD LETTERED', 'DROPPED'], rows)
      : 'no connections are running',
  );
  process.stdout.write(`${lines.join('\n')}\n`);
  if (ready.status !== 200) process.exitCode = 1;
}
