/** `switchyard suppressions …`: people whose events a running router never stores or sends. */
import { admin, formatTable, parseIdentity, printJson, type AdminOptions } from './admin-client.js';

interface Suppression {
  id: string;
  identity_type: string;
  identity_value: string;
  reason?: string;
  created_at: string;
}

export async function runSuppressionsAdd(identity: string, options: AdminOptions & { reason?: string }): Promise<void> {
  const { type, value } = parseIdentity(identity);
  const { status, json } = await admin<{ suppression: Suppression }>(options, 'POST', '/admin/v1/suppressions', {
    body: { identity_type: type, identity_value: value, ...(options.reason ? { reason: options.reason } : {}) },
  });
  if (options.json) return printJson(json.suppression);
  const s = json.suppression;
  process.stdout.write(`${status === 201 ? 'suppressed' : 'already suppressed'} ${s.identity_type}:${s.identity_value} (id ${s.id})\n`);
}

export async function runSuppressionsList(options: AdminOptions & { limit?: number; offset?: number }): Promise<void> {
  const query = new URLSearchParams();
  if (options.limit) query.set('limit', String(options.limit));
  if (options.offset) query.set('offset', String(options.offset));
  const { json } = await admin<{ suppressions: Suppression[]; total: number }>(options, 'GET', `/admin/v1/suppressions${query.size ? `?${query}` : ''}`);
  if (options.json) return printJson(json);
  if (json.total === 0) return void process.stdout.write('no suppressions\n');
  const rows = json.suppressions.map((s) => [s.id, `${s.identity_type}:${s.identity_value}`, s.created_at, s.reason ?? '']);
  process.stdout.write(`${formatTable(['ID', 'IDENTITY', 'CREATED', 'REASON'], rows)}\n`);
  if (json.suppressions.length < json.total) process.stdout.write(`(${json.suppressions.length} of ${json.total}; pass --offset and --limit for more)\n`);
}

export async function runSuppressionsRemove(id: string, options: AdminOptions): Promise<void> {
  await admin(options, 'DELETE', `/admin/v1/suppressions/${encodeURIComponent(id)}`);
  if (options.json) return printJson({ removed: id });
  process.stdout.write(`removed suppression ${id}\n`);
}
