import { Agent, request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { pino } from 'pino';
import { HttpSink } from './http-sink.js';
import { RouterFixture } from './router.js';

/** Every credential of the hostile-input router's config; none may appear in an answer, a log line or an outbound request. */
export const SECRETS = {
  writeKey: 'wk_hostile_7f3a9c21',
  mparticleSecret: 'mp_secret_hostile_51d2e8',
  adminToken: 'admin_token_hostile_0e8b44aa',
  hookSecret: 'hook_shared_secret_93ac17',
} as const;
export const MPARTICLE_KEY = 'mp_key_hostile';
export const SEGMENT_AUTH = `${SECRETS.writeKey}:`;
export const MPARTICLE_AUTH = `${MPARTICLE_KEY}:${SECRETS.mparticleSecret}`;

/** Log lines kept in memory, unscrubbed, so a test sees exactly what the router wrote. */
export class CapturedLog {
  readonly lines: string[] = [];
  readonly logger = pino(
    { level: 'debug' },
    {
      write: (line: string) => {
        this.lines.push(line);
      },
    },
  );
}

/** A router with a Segment and an mParticle source, admin and OpenDSR enabled, and a webhook into a loopback sink. */
export class HostileRouter {
  readonly log = new CapturedLog();
  sink!: HttpSink;
  fixture!: RouterFixture;

  async start(): Promise<this> {
    this.sink = await new HttpSink().start();
    this.fixture = await new RouterFixture(
      {
        sources: [
          { id: 'web', type: 'segment', writeKey: SECRETS.writeKey },
          { id: 'app', type: 'mparticle', apiKey: MPARTICLE_KEY, apiSecret: SECRETS.mparticleSecret },
        ],
        connections: [{ id: 'hook', connector: 'webhook', settings: { url: `${this.sink.url}/hook`, sharedSecret: SECRETS.hookSecret } }],
        admin: { tokens: [SECRETS.adminToken] },
        // Accepted data-subject requests stay pending for the whole test: nothing runs behind its back.
        dsr: { gracePeriodMs: 3_600_000 },
      },
      this.log.logger,
    ).start();
    return this;
  }

  get url(): string {
    return this.fixture.url;
  }

  get port(): number {
    return Number(new URL(this.fixture.url).port);
  }

  /** Exactly these headers and body, nothing added: no default content type. */
  async request(method: string, path: string, options: { headers?: Record<string, string>; raw?: string | Buffer } = {}) {
    const response = await fetch(`${this.url}${path}`, { method, headers: options.headers, body: options.raw });
    const text = await response.text();
    let json: any;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: response.status, headers: response.headers, text, json };
  }

  /**
   * A POST through node:http on keep-alive sockets: several times cheaper per request than fetch, which
   * matters to the fuzz test. Rejects when the server closes the connection without an answer.
   */
  post(
    agent: Agent,
    path: string,
    headers: Record<string, string>,
    raw: Buffer | undefined,
  ): Promise<{ status: number; headers: Record<string, unknown>; text: string }> {
    return new Promise((resolve, reject) => {
      const outgoing = httpRequest(
        `${this.url}${path}`,
        { method: 'POST', agent, headers: raw ? { ...headers, 'content-length': raw.length } : headers },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, text: Buffer.concat(chunks).toString('utf8') }));
          response.on('error', reject);
        },
      );
      outgoing.on('error', reject);
      outgoing.end(raw);
    });
  }

  /** The config's secrets found in the log lines, in any request the destination received, or in `extra`. */
  leakedSecrets(extra: string[] = []): string[] {
    const haystacks = [...this.log.lines, ...this.sink.requests.map((r) => `${JSON.stringify(r.headers)} ${r.path} ${r.rawBody}`), ...extra];
    const secrets = new Set([...Object.values(SECRETS), ...this.fixture.router.config.secrets]);
    return [...secrets].filter((secret) => haystacks.some((text) => text.includes(secret)));
  }

  async close(): Promise<void> {
    await this.fixture?.close();
    await this.sink?.stop();
  }
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  json: any;
}

/**
 * Writes these exact bytes to the server and reads one HTTP response: complete once Content-Length bytes
 * of body arrived, or when the server closes the connection.
 */
export function rawRequest(port: number, bytes: string | Buffer): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = Buffer.alloc(0);
    let settled = false;
    const finish = (closed: boolean) => {
      if (settled) return;
      const parsed = parseResponse(received, closed);
      if (!parsed) return;
      settled = true;
      socket.destroy();
      resolve(parsed);
    };
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      finish(false);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      finish(true);
      if (!settled) reject(new Error(`the server closed the connection without a complete answer: ${JSON.stringify(received.toString('latin1'))}`));
    });
    socket.write(bytes);
  });
}

/** Without a Content-Length the body runs to the end of the connection. */
function parseResponse(data: Buffer, closed: boolean): RawResponse | undefined {
  const end = data.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const [statusLine, ...headerLines] = data.subarray(0, end).toString('latin1').split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const body = data.subarray(end + 4);
  const length = headers['content-length'] === undefined ? (closed ? body.length : Number.NaN) : Number(headers['content-length']);
  if (Number.isNaN(length) || body.length < length) return undefined;
  const text = body.subarray(0, length).toString('utf8');
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: Number(statusLine!.split(' ')[1]), headers, body: text, json };
}
