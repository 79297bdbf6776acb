#!/usr/bin/env node
import { Command } from 'commander';
import { runConnectorInit, runConnectorsDocs, runConnectorsList } from './connector-commands.js';
import { runProfileLog, runProfileRemoveIdentifier, runProfileShow, runProfileSplit } from './profile-commands.js';
import { runQuery } from './query-command.js';
import { runStart, runValidate } from './start-command.js';
import { CONFIG_SCHEMA } from '@switchyard/core';

const program = new Command()
  .name('switchyard')
  .description('Self-hostable customer-data router: ingest, protect, route.')
  .showHelpAfterError('(run switchyard --help for usage)');

program
  .command('start')
  .description('run the router on a config file (SIGHUP or a file change reloads it)')
  .requiredOption('-c, --config <file>', 'YAML or JSON config file')
  .option('-p, --port <port>', 'override server.port', (v) => Number.parseInt(v, 10))
  .action(runStart);

program
  .command('validate')
  .description('check a config file: schema, connectors, settings, mappings, consent and residency')
  .requiredOption('-c, --config <file>', 'YAML or JSON config file')
  .action(runValidate);

program
  .command('config-schema')
  .description('print the JSON Schema of the config file')
  .action(() => {
    process.stdout.write(`${JSON.stringify(CONFIG_SCHEMA, null, 2)}\n`);
  });

const connectors = program
  .command('connectors')
  .description('list installed connectors with their settings')
  .option('--json', 'print JSON')
  .action(runConnectorsList);
connectors
  .command('docs [names...]')
  .description('write a Markdown page per installed connector (or only the named ones)')
  .option('-o, --out <dir>', 'output folder', 'docs/connectors')
  .action(runConnectorsDocs);

program
  .command('connector')
  .description('connector development')
  .command('init <name>')
  .description('scaffold a new connector package')
  .option('-d, --dir <dir>', 'where to create it (default: ./switchyard-connector-<name>)')
  .option(
    '--sdk-kit <range>',
    "install @switchyard/sdk-kit from the npm registry with this range (once published) instead of packing this checkout's kit into <dir>/vendor/",
  )
  .action(runConnectorInit);

program
  .command('query <sql>')
  .description('run SQL against the embedded DuckDB warehouse of a config')
  .option('-c, --config <file>', 'config file whose duckdb connection to read', 'examples/switchyard.yaml')
  .option('--connection <id>', 'which duckdb connection (default: the only one)')
  .option('--json', 'print JSON rows')
  .action(runQuery);

const profile = program.command('profile').description("a running router's identity graph, through its admin API");
const adminOptions = (command: Command) =>
  command
    .option('--url <url>', 'the router', 'http://127.0.0.1:8088')
    .option('--token <token>', 'an admin token (default: $SWITCHYARD_ADMIN_TOKEN)')
    .option('--json', 'print JSON');
adminOptions(profile.command('show <identifier>').description('the profiles holding <type>:<value> (email:ada@example.com) or a profile id')).action(
  runProfileShow,
);
adminOptions(profile.command('log <profileId>').description("a profile's merge log: every link, merge and split, with its cause and rule")).action(
  runProfileLog,
);
adminOptions(profile.command('split <profileId> <logEntry>').description('split a merge (a log entry) again')).action(runProfileSplit);
adminOptions(profile.command('remove-identifier <profileId> <identifier>').description('remove <type>:<value> from a profile for good')).action(
  runProfileRemoveIdentifier,
);

program.parseAsync(process.argv).catch((error: Error) => {
  process.stderr.write(`switchyard: ${error.message}\n`);
  process.exit(1);
});
