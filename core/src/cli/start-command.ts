import { ConfigError } from '../config/read-config-file.js';
import { loadConfig, type ResolvedConfig } from '../config/resolve-config.js';
import { Router } from '../router/router.js';

export async function runStart(options: { config: string; port?: number }): Promise<void> {
  let router: Router;
  try {
    router = await Router.start({ configFile: options.config, port: options.port });
  } catch (error) {
    failWith(error);
  }
  process.stdout.write(`${banner(router.config, router.url)}\n`);
  router.onReload((result) => {
    process.stdout.write(result.ok ? `config reloaded${result.changed.length ? ` (${result.changed.join(', ')})` : ''}\n` : `config reload refused, still running the previous config:\n${result.error}\n`);
  });
  process.on('SIGHUP', () => { void router.reload(); });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`${signal}: finishing in-flight deliveries, then stopping…\n`);
    router.close().then(() => process.exit(0), (error: Error) => {
      process.stderr.write(`shutdown failed: ${error.message}\n`);
      process.exit(1);
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

export async function runValidate(options: { config: string }): Promise<void> {
  try {
    const config = await loadConfig(options.config);
    process.stdout.write(`${options.config} is valid: ${config.sources.length} source(s), ${config.connections.length + config.enrichments.length} connection(s)\n`);
  } catch (error) {
    failWith(error);
  }
}

function banner(config: ResolvedConfig, url: string): string {
  const lines = [`Switchyard listening on ${url}  (storage: ${config.storageDir})`, 'Sources:'];
  for (const source of config.sources) {
    const endpoint = source.type === 'segment' ? `${url}/v1/batch (Segment, write key auth)` : `${url}/v2/events (mParticle, key:secret auth)`;
    lines.push(`  ${source.id.padEnd(16)} ${endpoint}${source.ipCollection ? '' : '  [IP collection off]'}`);
  }
  lines.push('Connections:');
  for (const c of [...config.enrichments.map((e) => ({ ...e, sources: undefined })), ...config.connections]) {
    lines.push(`  ${c.id.padEnd(16)} ${c.connector.name} (${c.connector.category}) ← ${c.sources?.join(', ') ?? 'all sources'}`);
  }
  if (config.connections.length === 0) lines.push('  (none: events are accepted but go nowhere)');
  return lines.join('\n');
}

export function failWith(error: unknown): never {
  const code = (error as NodeJS.ErrnoException).code;
  const hint = code === 'EADDRINUSE' ? ' (another process uses this port: stop it, or set server.port / pass --port)'
    : code === 'EACCES' ? ' (no permission for this port or path)' : '';
  const message = error instanceof ConfigError ? error.message : `cannot start: ${(error as Error).message}${hint}`;
  process.stderr.write(`${message}\n`);
  process.exit(1);
}
