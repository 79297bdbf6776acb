import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { stringify } from 'yaml';
import { Router, silentLogger, type Logger, type RouterOptions, type SwitchyardConfig } from '../../src/index.js';

export interface PostOptions {
  auth?: string | null;
  headers?: Record<string, string>;
  gzip?: boolean;
  raw?: Buffer | string;
  method?: string;
}

/** A real router on a free loopback port over a config file in a temp dir. */
export class RouterFixture {
  readonly dir = mkdtempSync(join(tmpdir(), 'switchyard-router-'));
  readonly configFile = join(this.dir, 'switchyard.yaml');
  router!: Router;

  constructor(
    private config: SwitchyardConfig,
    private readonly log: Logger = silentLogger,
    /** More router options (an audience clock). */
    private readonly options: Partial<RouterOptions> = {},
  ) {}

  async start(): Promise<this> {
    this.writeConfig(this.config);
    this.router = await Router.start({ configFile: this.configFile, log: this.log, port: 0, watchConfig: false, ...this.options });
    return this;
  }

  writeConfig(config: SwitchyardConfig | string): void {
    if (typeof config !== 'string') this.config = config;
    writeFileSync(this.configFile, typeof config === 'string' ? config : stringify({ storage: { dir: './storage' }, ...config }));
  }

  get url(): string {
    return this.router.url;
  }

  async send(path: string, body: unknown, options: PostOptions = {}) {
    const raw = options.raw ?? JSON.stringify(body);
    const payload = options.gzip ? gzipSync(raw) : raw;
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      ...(options.gzip ? { 'content-encoding': 'gzip' } : {}),
      ...(options.auth ? { authorization: `Basic ${Buffer.from(options.auth).toString('base64')}` } : {}),
      ...options.headers,
    };
    const response = await fetch(`${this.url}${path}`, { method: options.method ?? 'POST', headers, body: options.method === 'GET' ? undefined : payload });
    const text = await response.text();
    let json: any;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = text;
    }
    return { status: response.status, json, text, headers: response.headers };
  }

  /** Resolves once every queued delivery has settled (re-checked as batches settle). */
  async drained(timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Object.keys(await this.router.queue.depth()).length > 0) {
      if (Date.now() > deadline) throw new Error(`queue not drained: ${JSON.stringify(await this.router.queue.depth())}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, 200);
        this.router.runtime.once('settled', done);
        function done() {
          clearTimeout(timer);
          resolve();
        }
      });
    }
  }

  async close(): Promise<void> {
    await this.router?.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
