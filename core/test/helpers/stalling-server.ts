import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A destination that accepts requests and answers none until `released` resolves. */
export class StallingServer {
  private server?: Server;
  private gotRequest!: () => void;
  private readonly requested = new Promise<void>((resolve) => {
    this.gotRequest = resolve;
  });

  constructor(private readonly released: Promise<void>) {}

  async start(): Promise<this> {
    this.server = createServer((_req, res) => {
      this.gotRequest();
      void this.released.then(() => res.writeHead(200).end());
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/stall`;
  }

  waitForRequest(): Promise<void> {
    return this.requested;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}
