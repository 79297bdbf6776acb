import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url)).replace(/\/$/, '');
const run = promisify(execFile);

const isInside = (path: string, folder: string) => !relative(folder, path).startsWith('..');

/**
 * A fresh folder outside this checkout with no node_modules in any folder above it, so nothing there can
 * resolve a package from the checkout.
 */
export function folderOutsideRepo(prefix: string): string {
  const folder = mkdtempSync(join(tmpdir(), prefix));
  if (isInside(folder, ROOT)) throw new Error(`${folder} is inside the checkout ${ROOT}: set TMPDIR to a folder outside it`);
  for (let dir = dirname(folder); dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'node_modules'))) throw new Error(`${join(dir, 'node_modules')} would be visible to packages in ${folder}: set TMPDIR elsewhere`);
  }
  return folder;
}

/**
 * The environment of a developer's own shell: without the npm_* variables and the checkout's
 * node_modules/.bin folders that `npm test` in this repository adds.
 */
export function userEnvironment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^npm_/i.test(key) && key !== 'INIT_CWD' && key !== 'NODE_PATH') env[key] = value;
  }
  env.PATH = (process.env.PATH ?? '')
    .split(':')
    .filter((entry) => entry && !isInside(entry, ROOT) && !entry.includes(`${sep}node_modules${sep}`))
    .join(':');
  return env;
}

/** Runs commands as a user types them, one after another in one shell; rejects with everything they printed. */
export async function runAsUser(commands: string[], cwd: string, timeoutMs: number): Promise<string> {
  try {
    const { stdout, stderr } = await run('sh', ['-c', commands.join(' && ')], { cwd, env: userEnvironment(), timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
    return `${stdout}${stderr}`;
  } catch (error) {
    const failed = error as { message: string; stdout?: string; stderr?: string };
    throw new Error(`\`${commands.join(' && ')}\` failed in ${cwd}: ${failed.message}\n${failed.stdout ?? ''}\n${failed.stderr ?? ''}`);
  }
}
