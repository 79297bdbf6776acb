import { got, type Got } from 'got';
import { EgressDeniedError, isHostAllowed } from './egress.js';

export interface HttpClientOptions {
  connectorName: string;
  egress: readonly string[];
  timeoutMs: number;
  userAgent?: string;
  /**
   * Declared egress host → base URL to send its requests to instead (a vendor sandbox, or a loopback
   * contract server in tests). The egress check still applies to the declared host.
   */
  endpointOverrides?: Readonly<Record<string, string>>;
}

/**
 * The `ctx.http` given to connectors: got with its own retries off (the runtime owns retries) and a
 * request timeout, refusing any host outside the connector's declared egress list.
 */
export function createHttpClient(options: HttpClientOptions): Got {
  return got.extend({
    retry: { limit: 0 },
    timeout: { request: options.timeoutMs },
    headers: { 'user-agent': options.userAgent ?? 'switchyard' },
    hooks: {
      init: [
        (_raw, opts) => {
          // Refuse cross-host redirects that would leave the egress list.
          opts.followRedirect = false;
        },
      ],
      beforeRequest: [
        (opts) => {
          const url = opts.url instanceof URL ? opts.url : new URL(String(opts.url));
          if (!isHostAllowed(url, options.egress)) throw new EgressDeniedError(url, options.connectorName);
          const override = options.endpointOverrides?.[url.host];
          if (override) opts.url = new URL(`${url.pathname}${url.search}`, override);
        },
      ],
    },
  });
}
