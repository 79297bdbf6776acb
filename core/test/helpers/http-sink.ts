import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CapturedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  rawBody: string;
  body: unknown;
  receivedAt: number;
}

export interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

/** A promise holds the request open (recorded, unanswered) until it resolves. */
export type Responder = (request: CapturedRequest, index: number) => Answer | Promise<Answer>;

/** A loopback HTTP server standing in for a destination: records every request, answers as told. */
export class HttpSink {
  readonly requests: CapturedRequest[] = [];
  private server?: Server;
  private waiters: Array<() => void> = [];
  responder: Responder = () => ({ status: 200, body: { ok: true } });

  async start(): Promise<this> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  get url(): string {
    const { port } = this.server!.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      let body: unknown = rawBody;
      try {
        body = JSON.parse(rawBody);
      } catch {
        /* keep raw */
      }
      const captured: CapturedRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, rawBody, body, receivedAt: Date.now() };
      const index = this.requests.length;
      this.requests.push(captured);
      void Promise.resolve(this.responder(captured, index)).then((answer) => {
        res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
        res.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
      });
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  /** Message ids received so far, from single bodies and {"batch":[…]} bodies. */
  messageIds(): string[] {
    return this.requests.flatMap((r) => {
      const body = r.body as { messageId?: string; batch?: Array<{ messageId: string }> };
      if (Array.isArray(body?.batch)) return body.batch.map((e) => e.messageId);
      return body?.messageId ? [body.messageId] : [];
    });
  }

  /** Resolves once `predicate` holds, re-checked on every request; rejects after `timeoutMs`. */
  async waitFor(predicate: () => boolean, timeoutMs = 15_000, what = 'the expected requests'): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`timed out waiting for ${what}; got ${this.requests.length} requests`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(remaining, 250));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
    this.server?.closeAllConnections?.();
  }
}
