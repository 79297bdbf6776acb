import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUILT_IN_CONNECTORS } from './built-in-connectors.js';

/**
 * Connector packages visible from `dir` and from core itself: the built-ins, every
 * `@switchyard/connector-*` and every `switchyard-connector-*` / `@scope/switchyard-connector-*` package.
 */
export function installedConnectorPackages(dir: string, searchDirs: readonly string[] = []): string[] {
  const found = new Set<string>();
  for (const start of [resolve(dir), ...searchDirs.map((d) => resolve(d)), dirname(fileURLToPath(import.meta.url))]) {
    for (let at = start; ; at = dirname(at)) {
      const modules = join(at, 'node_modules');
      if (existsSync(modules)) collect(modules, found);
      if (dirname(at) === at) break;
    }
  }
  return [...found].sort();
}

function collect(modules: string, found: Set<string>): void {
  for (const entry of safeList(modules)) {
    if (entry.startsWith('switchyard-connector-')) found.add(entry);
    if (entry.startsWith('@')) {
      for (const scoped of safeList(join(modules, entry))) {
        if ((entry === '@switchyard' && scoped.startsWith('connector-')) || scoped.startsWith('switchyard-connector-')) found.add(`${entry}/${scoped}`);
      }
    }
  }
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** The names a config can use for the installed connectors (`webhook` for @switchyard/connector-webhook). */
export function installedConnectorNames(dir: string, searchDirs: readonly string[] = []): string[] {
  const shortNames = new Map(Object.entries(BUILT_IN_CONNECTORS).map(([name, pkg]) => [pkg, name]));
  return installedConnectorPackages(dir, searchDirs).map((pkg) => shortNames.get(pkg) ?? pkg.replace(/^@switchyard\/connector-/, ''));
}
