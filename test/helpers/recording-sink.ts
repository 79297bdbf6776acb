import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: any;
  /** Date.now() when the request's body had arrived. */
  receivedAt: number;
}

type Answer = { status: number; body: unknown };

/** A loopback destination that records every JSON request and answers 200. */
export class RecordingSink {
  readonly requests: RecordedRequest[] = [];
  private server!: Server;
  private waiters = new Set<() => void>();

  /** How the sink answers (a promise holds the answer back until it settles); the default is `200 {"ok":true}`. */
  constructor(private readonly respond: (request: RecordedRequest) => Answer | Promise<Answer> = () => ({ status: 200, body: { ok: true } })) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          /* keep the text */
        }
        const recorded = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body, receivedAt: Date.now() };
        this.requests.push(recorded);
        for (const wake of this.waiters) wake();
        const answer = await this.respond(recorded);
        res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
        for (const wake of this.waiters) wake();
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Every event received, from single-event bodies and {"batch":[…]} bodies. */
  events(): any[] {
    return this.requests.flatMap((r) => (Array.isArray(r.body?.batch) ? r.body.batch : [r.body]));
  }

  /** Resolves when `predicate` holds, re-checked on each request. */
  async waitFor(predicate: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`timed out waiting for ${what}; received ${JSON.stringify(this.events()).slice(0, 1500)}`);
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, Math.min(remaining, 500));
        this.waiters.add(done);
      });
    }
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
