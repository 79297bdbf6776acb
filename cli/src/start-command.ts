import { ConfigError, loadConfig, Router, type ResolvedConfig } from '@switchyard/core';
import { CONNECTOR_DIRS } from './connector-dirs.js';

export async function runStart(options: { config: string; port?: number }): Promise<void> {
  // Signals are handled from the first moment: a SIGHUP's default action would kill the process, and one can
  // arrive while the router is still starting. They act once the router is up.
  let router: Router | undefined;
  let reloadRequested = false;
  let stopSignal: string | undefined;
  const stop = (signal: string) => {
    if (stopSignal) return;
    stopSignal = signal;
    if (router) shutDown(router, signal);
  };
  process.on('SIGHUP', () => {
    if (router) void router.reload();
    else reloadRequested = true;
  });
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  try {
    router = await Router.start({ configFile: options.config, port: options.port, connectorDirs: CONNECTOR_DIRS });
  } catch (error) {
    failWith(error);
  }
  // A queue that does not answer yet (NATS away) starts the router all the same: ingestion answers 503, /ready says why.
  process.stdout.write(`${banner(router.config, router.url, await router.queue.depth().catch(() => ({})))}\n`);
  router.onReload((result) => {
    process.stdout.write(
      result.ok
        ? `config reloaded${result.changed.length ? ` (${result.changed.join(', ')})` : ''}\n`
        : `config reload refused, still running the previous config:\n${result.error}\n`,
    );
  });
  if (stopSignal) shutDown(router, stopSignal);
  else if (reloadRequested) void router.reload();
}

function shutDown(router: Router, signal: string): void {
  process.stdout.write(`${signal}: finishing in-flight deliveries, then stopping…\n`);
  router.close().then(
    () => process.exit(0),
    (error: Error) => {
      process.stderr.write(`shutdown failed: ${error.message}\n`);
      process.exit(1);
    },
  );
}

export async function runValidate(options: { config: string }): Promise<void> {
  try {
    const config = await loadConfig(options.config, process.env, { connectorDirs: CONNECTOR_DIRS });
    process.stdout.write(
      `${options.config} is valid: ${config.sources.length} source(s), ${config.connections.length + config.enrichments.length} connection(s)\n`,
    );
  } catch (error) {
    failWith(error);
  }
}

function banner(config: ResolvedConfig, url: string, queued: Record<string, number>): string {
  const lines = [`Switchyard listening on ${url}  (PID ${process.pid}, storage: ${config.storageDir})`, 'Sources:'];
  for (const source of config.sources) {
    const endpoint = source.type === 'segment' ? `${url}/v1/batch (Segment, write key auth)` : `${url}/v2/events (mParticle, key:secret auth)`;
    lines.push(`  ${source.id.padEnd(16)} ${endpoint}${source.ipCollection ? '' : '  [IP collection off]'}`);
  }
  lines.push('Connections:');
  for (const c of [...config.enrichments.map((e) => ({ ...e, sources: undefined })), ...config.connections]) {
    const backlog = queued[c.id] ? `  [${queued[c.id]} queued]` : '';
    lines.push(`  ${c.id.padEnd(16)} ${c.connector.name} (${c.connector.category}) ← ${c.sources?.join(', ') ?? 'all sources'}${backlog}`);
  }
  if (config.connections.length === 0) lines.push('  (none: events are accepted but go nowhere)');
  return lines.join('\n');
}

export function failWith(error: unknown): never {
  const code = (error as NodeJS.ErrnoException).code;
  const hint =
    code === 'EADDRINUSE'
      ? ' (another process uses this port: stop it, or set server.port / pass --port)'
      : code === 'EACCES'
        ? ' (no permission for this port or path)'
        : '';
  const message = error instanceof ConfigError ? error.message : `cannot start: ${(error as Error).message}${hint}`;
  process.stderr.write(`${message}\n`);
  process.exit(1);
}
