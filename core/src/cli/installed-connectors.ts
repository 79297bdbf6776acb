import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUILT_IN_CONNECTORS } from '../connectors/connector-registry.js';

/**
 * Connector packages visible from `dir` and from core itself: the built-ins, every
 * `@switchyard/connector-*` and every `switchyard-connector-*` / `@scope/switchyard-connector-*` package.
 */
export function installedConnectorPackages(dir: string): string[] {
  const found = new Set(Object.values(BUILT_IN_CONNECTORS));
  for (const start of [resolve(dir), dirname(fileURLToPath(import.meta.url))]) {
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
  try { return readdirSync(dir); } catch { return []; }
}
