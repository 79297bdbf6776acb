import { PermanentError } from './errors.js';

/**
 * Egress patterns: an exact host name (`api.sendgrid.com`), a wildcard for sub-domains
 * (`*.snowflakecomputing.com`), optionally with a port (`127.0.0.1:9999`).
 */
export function isHostAllowed(url: URL, patterns: readonly string[]): boolean {
  const host = url.hostname.toLowerCase().replace(/^\[|\]$/g, '');
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  return patterns.some((raw) => {
    const pattern = raw.toLowerCase();
    const [patternHost, patternPort] = splitHostPort(pattern);
    if (patternPort !== undefined && patternPort !== port) return false;
    if (patternHost.startsWith('*.')) return host.endsWith(patternHost.slice(1));
    return host === patternHost;
  });
}

function splitHostPort(pattern: string): [string, string | undefined] {
  const bracketed = /^\[(.+)\](?::(\d+))?$/.exec(pattern);
  if (bracketed) return [bracketed[1]!, bracketed[2]];
  const parts = pattern.split(':');
  if (parts.length === 2) return [parts[0]!, parts[1]];
  return [pattern, undefined];
}

export class EgressDeniedError extends PermanentError {
  constructor(url: URL, connectorName: string) {
    super(`connector "${connectorName}" may not call ${url.host}: it is not in the connector's egress list`, { code: 'EGRESS_DENIED' });
  }
}
