import { createHash } from 'node:crypto';
import type { CanonicalEvent } from '@switchyard/sdk-kit';

const safe = (text: string) => text.replace(/[^A-Za-z0-9_.-]/g, '_') || '_';

/** `<prefix>/<source>/YYYY/MM/DD/HH`: the folder of an event, by source and the UTC hour it was received. */
export function folderOf(prefix: string, event: CanonicalEvent): string {
  const received = new Date(event.receivedAt);
  const at = Number.isNaN(received.getTime()) ? new Date() : received;
  const hour = at.toISOString().slice(0, 13).replace(/[-T]/g, '/');
  return `${prefix ? `${prefix}/` : ''}${safe(event.sourceId)}/${hour}`;
}

/**
 * Named after the messages it holds, so a batch delivered again overwrites its own object instead of adding a
 * second copy of the same events.
 */
export function objectName(events: readonly CanonicalEvent[]): string {
  const digest = createHash('sha256');
  for (const event of events) digest.update(`${event.messageId}\n`);
  return `${digest.digest('hex').slice(0, 32)}.jsonl.gz`;
}

/** The events of a batch grouped by folder, each with its indexes in the batch. */
export function groupByFolder(prefix: string, events: readonly CanonicalEvent[]): Map<string, number[]> {
  const groups = new Map<string, number[]>();
  events.forEach((event, index) => {
    const folder = folderOf(prefix, event);
    const indexes = groups.get(folder);
    if (indexes) indexes.push(index);
    else groups.set(folder, [index]);
  });
  return groups;
}

/** Path-style URL `<endpoint>/<bucket>/<key>`, or virtual-hosted `https://<bucket>.s3.<region>.amazonaws.com/<key>`. */
export function objectUrl(s: { bucket: string; region: string; endpoint?: string; pathStyle?: boolean }, key: string): string {
  const path = key.split('/').map(encodeURIComponent).join('/');
  const base = s.endpoint ? s.endpoint.replace(/\/+$/, '') : `https://s3.${s.region}.amazonaws.com`;
  const pathStyle = s.pathStyle ?? Boolean(s.endpoint);
  if (pathStyle) return `${base}/${s.bucket}/${path}`;
  const url = new URL(base);
  url.host = `${s.bucket}.${url.host}`;
  return `${url.origin}/${path}`;
}
