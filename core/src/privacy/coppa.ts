import type { CanonicalEvent } from '@switchyard/sdk-kit';

const IP_KEYS = new Set(['ip', 'ip_address', 'ipAddress', 'client_ip', 'client_ip_address']);

function stripIpFields(value: unknown): boolean {
  if (!value || typeof value !== 'object') return false;
  let stripped = false;
  for (const key of Object.keys(value)) {
    if (IP_KEYS.has(key)) {
      delete (value as Record<string, unknown>)[key];
      stripped = true;
    } else if (stripIpFields((value as Record<string, unknown>)[key])) stripped = true;
  }
  return stripped;
}

/**
 * For sources with `ipCollection: false` (COPPA): removes the IP from the event, its context and the
 * source's raw original, before anything is stored, enriched or forwarded. Returns whether one was found.
 */
export function stripIp(event: CanonicalEvent): boolean {
  let stripped = false;
  if (event.context.ip !== undefined) {
    delete event.context.ip;
    stripped = true;
  }
  if (stripIpFields(event.context)) stripped = true;
  if (stripIpFields(event.raw)) stripped = true;
  return stripped;
}
