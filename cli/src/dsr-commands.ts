/** `switchyard dsr …`: data-subject requests to a running router, through its OpenDSR API. */
import { randomUUID } from 'node:crypto';
import { admin, formatTable, parseIdentity, printJson, type AdminOptions } from './admin-client.js';

export const DSR_TYPES = ['erasure', 'access', 'portability'] as const;

interface DsrStatus {
  subject_request_id: string;
  request_status: string;
  expected_completion_time: string;
  results_url?: string;
  results_count?: number;
  extensions?: Record<string, { connections?: Record<string, { status: string; error?: string; records?: number }>; next_attempt_at?: string }>;
}

export async function runDsrSubmit(type: string, identities: string[], options: AdminOptions & { regulation?: string }): Promise<void> {
  if (!(DSR_TYPES as readonly string[]).includes(type)) throw new Error(`"${type}" is not a request type: write one of ${DSR_TYPES.join(', ')}`);
  if (identities.length === 0) throw new Error('name the data subject: switchyard dsr submit <type> <identity_type>:<value> [more identities…]');
  const body = {
    regulation: options.regulation ?? 'gdpr',
    subject_request_id: randomUUID(),
    subject_request_type: type,
    submitted_time: new Date().toISOString(),
    api_version: '1.0',
    subject_identities: identities.map(parseIdentity).map(({ type: identityType, value }) => ({
      identity_type: identityType,
      identity_value: value,
      identity_format: 'raw',
    })),
  };
  const { json } = await admin<{ subject_request_id: string; expected_completion_time: string }>(options, 'POST', '/opendsr/v1/requests', { body });
  if (options.json) return printJson(json);
  process.stdout.write(
    `submitted ${type} request ${json.subject_request_id}, expected to complete by ${json.expected_completion_time}\n` +
      `follow it with: switchyard dsr status ${json.subject_request_id}\n`,
  );
}

export async function runDsrStatus(id: string, options: AdminOptions): Promise<void> {
  const { json } = await admin<DsrStatus>(options, 'GET', `/opendsr/v1/requests/${encodeURIComponent(id)}`);
  if (options.json) return printJson(json);
  const lines = [`request ${json.subject_request_id}: ${json.request_status} (expected by ${json.expected_completion_time})`];
  if (json.results_url) lines.push(`results: ${json.results_url} (${json.results_count ?? 0} records)`);
  for (const [domain, extension] of Object.entries(json.extensions ?? {})) {
    const connections = Object.entries(extension.connections ?? {});
    if (connections.length) {
      lines.push(
        `connections (${domain}):`,
        formatTable(
          ['  CONNECTION', 'STATUS', 'RECORDS', 'ERROR'],
          connections.map(([connection, o]) => [`  ${connection}`, o.status, o.records === undefined ? '' : String(o.records), o.error ?? '']),
        ),
      );
    }
    if (extension.next_attempt_at) lines.push(`next attempt at ${extension.next_attempt_at}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}
