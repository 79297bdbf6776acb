import type nockModule from 'nock';
import { EgressDeniedError, isHostAllowed } from '../egress.js';
import { isMissing, missingPeerError } from './optional-peer.js';

const nock = await import('nock').then(
  (m) => m.default,
  (error: unknown) => {
    throw isMissing('nock', error) ? missingPeerError('nock', 'to capture HTTP requests', error) : error;
  },
);

/** One request the connector made, as the destination would have received it. */
export interface CapturedRequest {
  method: string;
  url: string;
  host: string;
  headers: Record<string, string>;
  /** Parsed JSON when the request was JSON, otherwise the raw string (undefined when empty). */
  body: unknown;
  /** The body bytes exactly as sent (gzip, binary uploads; what a signature covers). */
  bytes: Buffer;
}

/** What a fake destination answers. A JSON body is serialised; a string is sent as is. */
export interface MockResponse {
  status?: number;
  headers?: Record<string, string>;
  body?: unknown;
}

/** Answers a captured request. Throw (e.g. `networkError('ETIMEDOUT')`) to fail it at the socket level. */
export type Responder = (request: CapturedRequest) => MockResponse | Promise<MockResponse>;

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'MERGE'];

/** Never answers, so the client's own request timeout fires: a real timeout, as the runtime would see it. */
export const neverAnswer: Responder = () =>
  new Promise<MockResponse>(() => {
    /* hangs until the client gives up */
  });

function refusal(url: URL, connectorName: string): MockResponse {
  const message = new EgressDeniedError(url, connectorName).message;
  return { status: 403, headers: { 'x-switchyard-harness': 'EGRESS_DENIED' }, body: { code: 'EGRESS_DENIED', message } };
}

/** A socket-level failure as node reports it: `ETIMEDOUT` for a timeout, `ECONNRESET`, `ECONNREFUSED`, … */
export function networkError(code = 'ETIMEDOUT'): Error {
  return Object.assign(new Error(`simulated network failure ${code}`), { code });
}

export interface HostResponder {
  pattern: string;
  respond: Responder;
}

export interface CaptureSession {
  requests: CapturedRequest[];
  stop(): void;
}

function headerRecord(raw: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (value !== undefined) out[key.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return out;
}

/**
 * nock hands a body over as UTF-8 text, or as hex when its bytes are not valid UTF-8; the declared length tells
 * which it was when a text body happens to look like hex.
 */
function bodyBytes(body: unknown, headers: Record<string, string>): Buffer {
  if (typeof body !== 'string' || body === '') return Buffer.alloc(0);
  const length = Number(headers['content-length']);
  const utf8 = Buffer.from(body, 'utf8');
  if (utf8.length === length || !/^(?:[0-9a-f]{2})+$/.test(body)) return utf8;
  const hex = Buffer.from(body, 'hex');
  if (hex.length === length) return hex;
  // No declared length: nock used hex only if the bytes were not valid UTF-8.
  return Buffer.from(hex.toString('utf8'), 'utf8').equals(hex) ? utf8 : hex;
}

function parseBody(body: unknown, headers: Record<string, string>): unknown {
  if (body === undefined || body === '') return undefined;
  if (typeof body !== 'string') return body;
  if (/json/i.test(headers['content-type'] ?? '')) {
    try {
      return JSON.parse(body);
    } catch {
      return body;
    }
  }
  return body;
}

/**
 * Intercepts every HTTP request made in this thread (node:http, got, fetch) while a harness run is in
 * progress, records it, and answers it with the first matching responder. A request to a host outside
 * `egress` that slipped past `ctx.http` (a connector using its own client) is recorded and answered 403
 * EGRESS_DENIED, so nothing reaches the network.
 */
export function captureHttp(connectorName: string, egress: readonly string[], hosts: readonly HostResponder[], fallback: Responder): CaptureSession {
  const requests: CapturedRequest[] = [];
  const scope = nock(/.*/).persist();
  const interceptors = METHODS.map((method) => {
    const interceptor = scope.intercept(/.*/, method);
    // Two declared parameters: nock treats a three-parameter reply function as callback style.
    interceptor.reply(async function reply(this: nockModule.ReplyFnContext, path: string, body: nockModule.Body) {
      const headers = headerRecord(this.req.headers as Record<string, unknown>);
      const protocol = (this.req.socket as { encrypted?: boolean } | null)?.encrypted ? 'https' : 'http';
      const url = new URL(path, `${protocol}://${headers.host ?? 'localhost'}`);
      const request: CapturedRequest = { method, url: url.href, host: url.host, headers, body: parseBody(body, headers), bytes: bodyBytes(body, headers) };
      requests.push(request);
      // A request that slipped past ctx.http to an undeclared host is answered, never sent; the egress
      // check reports it from `requests`.
      if (!isHostAllowed(url, egress)) return toNockReply(refusal(url, connectorName));
      const match = hosts.find((h) => isHostAllowed(url, [h.pattern]));
      let response: MockResponse;
      try {
        response = await (match?.respond ?? fallback)(request);
      } catch (error) {
        // Failing the request in the same tick it was intercepted can lose the error when another copy of
        // nock (an earlier test file's) also patches node:http; the client then waits for its own timeout.
        await new Promise((resolve) => setTimeout(resolve, 5));
        throw error;
      }
      return toNockReply(response);
    });
    return interceptor;
  });
  return {
    requests,
    stop: () => {
      for (const interceptor of interceptors) nock.removeInterceptor(interceptor);
    },
  };
}

function toNockReply(response: MockResponse): [number, string, Record<string, string>] {
  // No keep-alive: an intercepted socket reused by the next request can swallow that request's simulated error.
  const headers: Record<string, string> = { connection: 'close', ...(response.headers ?? {}) };
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  let body = '';
  if (typeof response.body === 'string') body = response.body;
  else if (response.body !== undefined) {
    body = JSON.stringify(response.body);
    if (!lower['content-type']) headers['content-type'] = 'application/json';
  }
  return [response.status ?? 200, body, headers];
}
