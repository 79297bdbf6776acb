import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
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

const MARK_PATH = '/__http-sink-arrival-mark__';

/** A loopback HTTP server standing in for a destination: records every request, answers as told. */
export class HttpSink {
  readonly requests: CapturedRequest[] = [];
  private server?: Server;
  private waiters: Array<() => void> = [];
  private marks: Array<(index: number) => void> = [];
  private stalled?: { prefix: string; held: Array<() => void> };
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

  /**
   * Stops reading requests to paths starting with `prefix` after their headers, as a destination that stops
   * reading does: the sender cannot finish writing a body larger than the kernel's buffers. `release` reads them.
   */
  stall(prefix: string): { readonly waiting: number; release(): void } {
    const held: Array<() => void> = [];
    this.stalled = { prefix, held };
    return {
      get waiting() {
        return held.length;
      },
      release: () => {
        this.stalled = undefined;
        for (const read of held.splice(0)) read();
      },
    };
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    // A sender that gives up mid-body aborts the request; that is not this sink's failure.
    req.on('error', () => undefined);
    if (this.stalled && req.url?.startsWith(this.stalled.prefix)) {
      this.stalled.held.push(() => this.read(req, res));
      for (const wake of this.waiters.splice(0)) wake();
      return;
    }
    this.read(req, res);
  }

  private read(req: IncomingMessage, res: ServerResponse): void {
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
      if (req.url === MARK_PATH) {
        this.marks.shift()?.(this.requests.length);
        res.writeHead(204).end();
        return;
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

  /**
   * The index in `requests` from which requests reached this sink after this call. A timestamp cannot say that,
   * because this sink shares its thread with the router under test: a request whose bytes were already in the
   * kernel (on a connection not yet accepted) can be read after a later event is handled. The mark is a request on
   * a new connection; the kernel hands connections and data over in order, so every request that arrived before
   * it is captured before it (a stalled one, see `stall`, only once its body has been read).
   */
  arrivalMark(): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      this.marks.push(resolve);
      const { port } = this.server!.address() as AddressInfo;
      request({ host: '127.0.0.1', port, path: MARK_PATH, agent: false }, (res) => res.resume())
        .on('error', reject)
        .end();
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
