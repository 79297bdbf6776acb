import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, resolve as resolvePath } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { checkManifest, checkSdkKitCompatibility, type AnyConnector, type ConnectorPackageJson } from '@switchyard/sdk-kit';
import { installedConnectorNames } from './installed-connectors.js';

import { BUILT_IN_CONNECTORS } from './built-in-connectors.js';

export { BUILT_IN_CONNECTORS };

export interface LoadedConnector {
  connector: AnyConnector;
  /** file: URL of the module, which worker threads import. */
  moduleUrl: string;
}

export class ConnectorLoadError extends Error {
  readonly code = 'CONNECTOR_INVALID';
}

const requireFromCore = createRequire(import.meta.url);

/**
 * Resolves `webhook`, `@acme/switchyard-connector-x` or `./connectors-local/x` (relative to the config
 * file's folder) to a module URL.
 */
export function resolveConnectorModule(spec: string, baseDir: string, searchDirs: readonly string[] = []): string {
  const isPath = spec.startsWith('.') || isAbsolute(spec);
  const isShortName = /^[a-z0-9][a-z0-9-]*$/.test(spec);
  // A short name is one of ours: `postgres` → @switchyard/connector-postgres.
  const request = isPath ? resolvePath(baseDir, spec) : (BUILT_IN_CONNECTORS[spec] ?? (isShortName ? `@switchyard/connector-${spec}` : spec));
  const requireFrom = (dir: string) => createRequire(pathToFileURL(resolvePath(dir, 'noop.js')).href);
  // Packages are looked for beside the config, then where the program that embeds core installed its own.
  const attempts = isPath ? [requireFrom(baseDir)] : [requireFrom(baseDir), ...searchDirs.map(requireFrom), requireFromCore];
  for (const req of attempts) {
    try {
      return pathToFileURL(req.resolve(request)).href;
    } catch {
      /* try the next place */
    }
  }
  const hint = isPath
    ? `no connector package at ${request} (build it first: it needs a package.json whose main points at the built file)`
    : `install it (npm install ${request}) or use one of the installed connectors: ${installedConnectorNames(baseDir, searchDirs).join(', ')}`;
  throw new ConnectorLoadError(`connector "${spec}" not found: ${hint}`);
}

const cache = new Map<string, AnyConnector>();

/** The sdk-kit this router runs, as installed next to core. */
export function runningSdkKitVersion(): string {
  return (requireFromCore('@switchyard/sdk-kit/package.json') as { version: string }).version;
}

/** The nearest package.json above a connector's module file: the connector's own package. */
export function findConnectorPackageJson(moduleUrl: string): { path: string; manifest: ConnectorPackageJson } | undefined {
  let dir = dirname(fileURLToPath(moduleUrl));
  for (;;) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) return { path: candidate, manifest: JSON.parse(readFileSync(candidate, 'utf8')) as ConnectorPackageJson };
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** Imports a connector and checks its manifest; refuses it with every problem listed. */
export async function loadConnector(spec: string, baseDir: string, searchDirs: readonly string[] = []): Promise<LoadedConnector> {
  const moduleUrl = resolveConnectorModule(spec, baseDir, searchDirs);
  let connector = cache.get(moduleUrl);
  if (!connector) {
    // Checked before importing: a connector built for another sdk-kit may not even load.
    const pkg = findConnectorPackageJson(moduleUrl);
    const incompatible = pkg && checkSdkKitCompatibility(pkg.manifest, runningSdkKitVersion());
    if (incompatible) throw new ConnectorLoadError(`connector "${spec}" is not usable: ${incompatible} (${pkg.path})`);
    const loaded = (await import(moduleUrl)) as { default?: unknown };
    const problems = checkManifest(loaded.default);
    if (problems.length) throw new ConnectorLoadError(`connector "${spec}" is not usable:\n  - ${problems.join('\n  - ')}`);
    connector = loaded.default as AnyConnector;
    cache.set(moduleUrl, connector);
  }
  return { connector, moduleUrl };
}
