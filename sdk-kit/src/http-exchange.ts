import type { Response, RequestError, Options } from 'got';
import { REDACTED, scrubSecrets } from './secrets.js';

/** One HTTP request a connector made and what came back, with secrets removed (for the router's live view). */
export interface HttpExchange {
  method: string;
  url: string;
  status?: number;
  durationMs?: number;
  request: { headers: Record<string, string>; body?: string };
  response?: { headers: Record<string, string>; body?: string };
  /** Why no response came (timeout, refused egress, connection reset). */
  error?: string;
}

/** Where the HTTP client hands exchanges; returns undefined when nobody is recording (then nothing is built). */
export type ExchangeSink = () => ((exchange: HttpExchange) => void) | undefined;

const MAX_BODY_CHARS = 4096;
/** Header and query parameter names whose values are credentials whatever the connector declared. */
const CREDENTIAL_NAME = /auth|token|secret|password|passwd|signature|cookie|session|api[-_]?key|access[-_]?key|private[-_]?key|^key$|^x-.*-key$/i;
const KEPT_RESPONSE_HEADERS = ['content-type', 'retry-after', 'x-ratelimit-remaining', 'x-ratelimit-reset', 'x-request-id'];

/** The forms a secret takes on the wire: raw, JSON-escaped (scrubSecrets does that) and URL-encoded. */
function wireForms(secrets: readonly string[]): string[] {
  return [...new Set(secrets.flatMap((secret) => [secret, encodeURIComponent(secret)]))];
}

/** Builds exchanges from got's responses and errors, scrubbed of the connection's secrets. */
export class ExchangeRecorder {
  private readonly forms: string[];

  constructor(secrets: readonly string[]) {
    this.forms = wireForms(secrets);
  }

  fromResponse(response: Response): HttpExchange {
    const options = response.request.options;
    return {
      ...this.requestPart(options),
      status: response.statusCode,
      ...(response.timings.phases.total !== undefined ? { durationMs: response.timings.phases.total } : {}),
      response: { headers: this.responseHeaders(response.headers), ...this.body(response.rawBody) },
    };
  }

  fromError(error: RequestError): HttpExchange {
    if (error.response) return { ...this.fromResponse(error.response), error: this.scrub(error.message) };
    return { ...this.requestPart(error.options), error: this.scrub(`${error.code ?? 'ERROR'}: ${error.message}`) };
  }

  private requestPart(options: Options): Pick<HttpExchange, 'method' | 'url' | 'request'> {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(options.headers)) {
      if (value === undefined) continue;
      headers[name] = CREDENTIAL_NAME.test(name) ? REDACTED : this.scrub(String(value));
    }
    return { method: options.method, url: this.url(options.url), request: { headers, ...this.body(requestBody(options)) } };
  }

  private url(url: Options['url']): string {
    if (!url) return '';
    const parsed = new URL(String(url));
    for (const name of [...parsed.searchParams.keys()]) if (CREDENTIAL_NAME.test(name)) parsed.searchParams.set(name, REDACTED);
    if (parsed.password) parsed.password = REDACTED;
    return this.scrub(parsed.toString());
  }

  private responseHeaders(headers: Response['headers']): Record<string, string> {
    const kept: Record<string, string> = {};
    for (const name of KEPT_RESPONSE_HEADERS) if (headers[name] !== undefined) kept[name] = this.scrub(String(headers[name]));
    return kept;
  }

  private body(raw: string | Buffer | undefined): { body?: string } {
    if (raw === undefined || raw.length === 0) return {};
    const text = typeof raw === 'string' ? raw : raw.subarray(0, MAX_BODY_CHARS * 4).toString('utf8');
    const cut = text.length > MAX_BODY_CHARS ? `${text.slice(0, MAX_BODY_CHARS)}… (${text.length - MAX_BODY_CHARS} more characters)` : text;
    return { body: this.scrub(cut) };
  }

  private scrub(text: string): string {
    return scrubSecrets(text, this.forms);
  }
}

function requestBody(options: Options): string | Buffer | undefined {
  if (typeof options.body === 'string' || Buffer.isBuffer(options.body)) return options.body;
  if (options.json !== undefined) return JSON.stringify(options.json);
  if (options.form !== undefined) return new URLSearchParams(options.form as Record<string, string>).toString();
  return undefined;
}
