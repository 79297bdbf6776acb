#!/usr/bin/env node
import { resolve } from 'node:path';
import { defaultDirectory, describeScaffold, scaffoldConnector } from './scaffold-connector.js';

const USAGE = `usage: switchyard-connector init <name> [--dir <directory>] [--sdk-kit <version range>]

Creates a connector package in <directory> (default: ./switchyard-connector-<name>). It depends on this
sdk-kit, packed into <directory>/vendor/; --sdk-kit installs that range from the npm registry instead.`;

/** `switchyard-connector init <name> [--dir <path>]`: plain argv parsing, one command. */
export function main(argv: string[]): number {
  const [command, ...rest] = argv;
  if (command !== 'init' || rest.includes('--help') || rest.includes('-h')) {
    process.stderr.write(`${USAGE}\n`);
    return command === undefined || command === 'init' || command === '--help' || command === '-h' ? 0 : 1;
  }
  const positional: string[] = [];
  const flags: Record<string, string> = {};
  for (let i = 0; i < rest.length; i += 1) {
    const arg = rest[i]!;
    if (arg === '--dir' || arg === '--sdk-kit') {
      const value = rest[i + 1];
      if (!value) {
        process.stderr.write(`${arg} needs a value\n${USAGE}\n`);
        return 1;
      }
      flags[arg] = value;
      i += 1;
    } else if (arg.startsWith('--')) {
      process.stderr.write(`unknown option ${arg}\n${USAGE}\n`);
      return 1;
    } else positional.push(arg);
  }
  const [name] = positional;
  if (!name || positional.length > 1) {
    process.stderr.write(`${USAGE}\n`);
    return 1;
  }
  try {
    const directory = resolve(flags['--dir'] ?? defaultDirectory(name));
    const result = scaffoldConnector({ name, directory, sdkKitRange: flags['--sdk-kit'] });
    process.stdout.write(describeScaffold(name, result));
    return 0;
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 1;
  }
}

process.exitCode = main(process.argv.slice(2));
