import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { connectorSource, connectorTest, gitignore, jestConfig, packageJson, readme, tsconfigJson, type TemplateInput } from './templates.js';
import { packSdkKit, SDK_KIT_ROOT } from './vendor-sdk-kit.js';

export interface ScaffoldOptions {
  /** Connector name: lower-case letters, digits and dashes (`acme-crm`). */
  name: string;
  /** The new package's directory; created, and must be empty if it exists. */
  directory: string;
  /**
   * Install `@switchyard/sdk-kit` from the npm registry with this version or range, once it is published there.
   * Without it, this kit is packed into `vendor/` and the package depends on the tarball.
   */
  sdkKitRange?: string;
}

export interface ScaffoldResult {
  directory: string;
  /** Every file written, absolute paths (the vendored tarball included). */
  files: string[];
  /** The commands that install, build and test the new package, in order, starting with `cd`. */
  nextSteps: string[];
}

/** This package's own version, read at run time so the scaffold always matches the kit that made it. */
export function sdkKitVersion(): string {
  return (JSON.parse(readFileSync(join(SDK_KIT_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

/** The directory `init` uses when none is given: the package's own name. */
export const defaultDirectory = (name: string) => `switchyard-connector-${name}`;

const shellQuote = (text: string) => (/^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`);

/** Writes a new connector package (settings, one action, harness and conformance tests, README) and says what to run next. */
export function scaffoldConnector(options: ScaffoldOptions): ScaffoldResult {
  const { name } = options;
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) {
    throw new Error(`connector name "${name}" is not valid: use lower-case letters, digits and dashes, e.g. "acme-crm"`);
  }
  const directory = resolve(options.directory);
  if (existsSync(directory) && readdirSync(directory).length > 0) {
    throw new Error(`${directory} is not empty: choose a new directory for the connector (--dir)`);
  }
  const written: string[] = [];
  const write = (path: string, text: string) => {
    const target = join(directory, path);
    mkdirSync(join(target, '..'), { recursive: true });
    writeFileSync(target, text);
    written.push(target);
  };
  mkdirSync(directory, { recursive: true });
  let input: TemplateInput;
  if (options.sdkKitRange) {
    const range = /^[\^~<>=*]/.test(options.sdkKitRange) ? options.sdkKitRange : `^${options.sdkKitRange}`;
    input = { name, sdkKitRange: range, sdkKitSpec: range };
  } else {
    const tarball = packSdkKit(directory);
    written.push(join(directory, tarball));
    input = { name, sdkKitRange: `^${sdkKitVersion()}`, sdkKitSpec: `file:${tarball}`, vendoredTarball: tarball };
  }
  write('package.json', packageJson(input));
  write('tsconfig.json', tsconfigJson());
  write('jest.config.js', jestConfig());
  write('src/index.ts', connectorSource(input));
  write('test/connector.test.ts', connectorTest(input));
  write('README.md', readme(input));
  write('.gitignore', gitignore());
  return { directory, files: written, nextSteps: [`cd ${shellQuote(directory)}`, 'npm install', 'npm run build', 'npm test'] };
}

/** What both CLIs print after `init`: where the package is and the commands to run, one per line. */
export function describeScaffold(name: string, result: ScaffoldResult): string {
  return `Created connector "${name}" in ${result.directory}\nNext, run:\n${result.nextSteps.map((step) => `  ${step}\n`).join('')}`;
}
