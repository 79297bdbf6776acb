import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { connectorSource, connectorTest, gitignore, jestConfig, packageJson, readme, tsconfigJson } from './templates.js';

export interface ScaffoldOptions {
  /** Connector name: lower-case letters, digits and dashes (`acme-crm`). */
  name: string;
  /** The new package's directory; created, and must be empty if it exists. */
  directory: string;
  /** The sdk-kit version range the package depends on; default `^` this sdk-kit's version. */
  sdkKitVersion?: string;
}

/** This package's own version, read at run time so the scaffold always matches the kit that made it. */
export function sdkKitVersion(): string {
  const manifest = new URL('../../package.json', import.meta.url);
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
}

/** Writes a new connector package (settings, one action, harness and conformance tests, README); returns the files written. */
export function scaffoldConnector(options: ScaffoldOptions): string[] {
  const { name } = options;
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) {
    throw new Error(`connector name "${name}" is not valid: use lower-case letters, digits and dashes, e.g. "acme-crm"`);
  }
  const directory = resolve(options.directory);
  if (existsSync(directory) && readdirSync(directory).length > 0) {
    throw new Error(`${directory} is not empty: choose a new directory for the connector (--dir)`);
  }
  const version = options.sdkKitVersion ?? sdkKitVersion();
  const input = { name, sdkKitRange: /^[\^~<>=*]/.test(version) ? version : `^${version}` };
  const files: Record<string, string> = {
    'package.json': packageJson(input),
    'tsconfig.json': tsconfigJson(),
    'jest.config.js': jestConfig(),
    'src/index.ts': connectorSource(input),
    'test/connector.test.ts': connectorTest(input),
    'README.md': readme(input),
    '.gitignore': gitignore(),
  };
  for (const [path, text] of Object.entries(files)) {
    const target = join(directory, path);
    mkdirSync(join(target, '..'), { recursive: true });
    writeFileSync(target, text);
  }
  return Object.keys(files).map((path) => join(directory, path));
}
