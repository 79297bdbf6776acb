import { Option, type Command } from 'commander';
import { readConfigFile } from '@switchyard/core';

/** `--url`, `--token` and `--json`: how every command that talks to a running router finds it. */
export interface AdminOptions {
  url: string;
  token?: string;
  json?: boolean;
}

export const DEFAULT_ROUTER_URL = 'http://127.0.0.1:8088';

/** `--url` (or $SWITCHYARD_URL, or `--config`): where the running router is. */
export function withRouterUrl(command: Command): Command {
  return command
    .addOption(new Option('--url <url>', 'the router').default(DEFAULT_ROUTER_URL).env('SWITCHYARD_URL'))
    .option('-c, --config <file>', "the router's config file: its address and first admin token are used unless --url or --token say otherwise")
    .hook('preAction', (_command, action) => applyConfigFile(action));
}

/** Adds the options every command that talks to a running router's admin API takes. */
export function withAdminOptions(command: Command): Command {
  return withRouterUrl(command).option('--token <token>', 'an admin token (default: $SWITCHYARD_ADMIN_TOKEN)').option('--json', 'print JSON');
}

/** Fills `--url` and `--token` from `--config` where neither a flag nor an environment variable set them. */
function applyConfigFile(command: Command): void {
  const file = command.getOptionValue('config') as string | undefined;
  if (!file) return;
  const config = readConfigFile(file);
  if (command.getOptionValueSource('url') === 'default') {
    const port = config.server?.port ?? 8088;
    if (port === 0) throw new Error(`${file} sets server.port 0 (a random port): pass --url with the address the router printed at start`);
    const host = !config.server?.host || ['0.0.0.0', '::'].includes(config.server.host) ? '127.0.0.1' : config.server.host;
    command.setOptionValue('url', `http://${host.includes(':') ? `[${host}]` : host}:${port}`);
  }
  const token = config.admin?.tokens?.[0];
  if (token && command.getOptionValue('token') === undefined && !process.env.SWITCHYARD_ADMIN_TOKEN) command.setOptionValue('token', token);
}

export interface AdminRequest {
  body?: unknown;
  /** Sends no admin token (`/health`, `/ready`). */
  anonymous?: boolean;
  /** Statuses ≥ 400 that are an answer, not a failure (`/ready` answers 503 with its problems). */
  accept?: number[];
}

/** A request to the router at `routerUrl`; a bad URL or an unreachable router is an error that says what to do. */
export async function reachRouter(routerUrl: string, path: string, init: RequestInit): Promise<Response> {
  let url: URL;
  try {
    url = new URL(path, routerUrl);
  } catch {
    throw new Error(`--url ${routerUrl} is not a URL; write it as ${DEFAULT_ROUTER_URL}`);
  }
  try {
    return await fetch(url, init);
  } catch (error) {
    const cause = (error as Error & { cause?: Error }).cause?.message ?? (error as Error).message;
    throw new Error(`cannot reach the router at ${routerUrl} (${cause}); is it running? pass --url to point elsewhere`);
  }
}

/** One request to the router's admin (or OpenDSR, health) API; every failure says what to do next. */
export async function admin<T = Record<string, unknown>>(
  options: AdminOptions,
  method: string,
  path: string,
  request: AdminRequest = {},
): Promise<{ status: number; json: T }> {
  const token = options.token ?? process.env.SWITCHYARD_ADMIN_TOKEN;
  if (!token && !request.anonymous) throw new Error('no admin token: pass --token or set SWITCHYARD_ADMIN_TOKEN (one of admin.tokens in the config)');
  const { body } = request;
  const response = await reachRouter(options.url, path, {
    method,
    headers: {
      ...(request.anonymous ? {} : { authorization: `Bearer ${token}` }),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  let json: T & { error?: { message?: string } };
  try {
    json = (text ? JSON.parse(text) : {}) as typeof json;
  } catch {
    throw new Error(
      `${method} ${path} answered ${response.status} with something that is not JSON; is ${options.url} a Switchyard router? pass --url to point elsewhere`,
    );
  }
  if (response.status >= 400 && !request.accept?.includes(response.status)) {
    throw new Error(`${method} ${path} answered ${response.status}: ${json?.error?.message ?? text}`);
  }
  return { status: response.status, json };
}

/** The `error.message` of an admin API error body, or the body itself when it is not that JSON. */
export function errorMessageOf(text: string): string {
  try {
    return (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? text;
  } catch {
    return text;
  }
}

/** `<type>:<value>`, e.g. `email:ada@example.com`. */
export function parseIdentity(raw: string): { type: string; value: string } {
  const colon = raw.indexOf(':');
  if (colon <= 0 || colon === raw.length - 1) throw new Error(`"${raw}" is not an identity: write <type>:<value>, e.g. email:ada@example.com`);
  return { type: raw.slice(0, colon), value: raw.slice(colon + 1) };
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Rows as columns padded to their widest cell. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
