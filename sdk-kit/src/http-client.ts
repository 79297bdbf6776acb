import http, { type ClientRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import https from 'node:https';
import { got, type Got } from 'got';
import { EgressDeniedError, isHostAllowed } from './egress.js';
import { ExchangeRecorder, type ExchangeSink } from './http-exchange.js';
import type { RequestGuard } from './send-guard.js';

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
  /** The runtime's last privacy check, asked right before each request's bytes leave. */
  requestGuard?: RequestGuard;
  /** Receives each request and its response, scrubbed of `secrets`, while someone records (the live view). */
  exchanges?: { sink: ExchangeSink; secrets: readonly string[] };
}

/**
 * The `ctx.http` given to connectors: got with its own retries off (the runtime owns retries) and a
 * request timeout, refusing any host outside the connector's declared egress list.
 */
export function createHttpClient(options: HttpClientOptions): Got {
  const recorder = options.exchanges && new ExchangeRecorder(options.exchanges.secrets);
  const sink = options.exchanges?.sink;
  return got.extend({
    retry: { limit: 0 },
    timeout: { request: options.timeoutMs },
    headers: { 'user-agent': options.userAgent ?? 'switchyard' },
    ...(options.requestGuard ? { request: guardedRequest(options.requestGuard) } : {}),
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
      afterResponse: recorder
        ? [
            (response) => {
              sink!()?.(recorder.fromResponse(response));
              return response;
            },
          ]
        : [],
      beforeError: recorder
        ? [
            (error) => {
              // A response with an error status was recorded by afterResponse already.
              if (!error.response) sink!()?.(recorder.fromError(error));
              return error;
            },
          ]
        : [],
    },
  });
}

/**
 * Node's request function behind the guard: the guard runs after every hook, when nothing else stands between
 * the request and the socket, and its hold is released once the body has been written out (or the request died).
 * A revocation while the body is still leaving (a slow upload, a connection still opening) destroys the request.
 */
function guardedRequest(guard: RequestGuard) {
  return (url: URL, options: RequestOptions, callback?: (response: IncomingMessage) => void): ClientRequest => {
    let request: ClientRequest | undefined;
    const release = guard((error) => request?.destroy(error));
    try {
      request = (url.protocol === 'https:' ? https : http).request(url, options, callback);
      request.once('finish', release);
      request.once('close', release);
      return request;
    } catch (error) {
      release();
      throw error;
    }
  };
}
