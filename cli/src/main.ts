#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { withAdminOptions, withRouterUrl } from './admin-client.js';
import { runConnectorInit, runConnectorsDocs, runConnectorsList } from './connector-commands.js';
import { runProfileLog, runProfileRemoveIdentifier, runProfileShow, runProfileSplit } from './profile-commands.js';
import { parseCount, parseIds, runDeadLettersList, runDeadLettersPurge, runDeadLettersReplay } from './dead-letter-commands.js';
import { DSR_TYPES, runDsrStatus, runDsrSubmit } from './dsr-commands.js';
import { runQuery } from './query-command.js';
import { runTrace } from './trace-command.js';
import { runTail } from './tail-command.js';
import { runReplay } from './replay-command.js';
import { runStatus } from './status-command.js';
import { runAudiencesStatus } from './audience-status-command.js';
import { runAudiencesBackfill, runAudiencesReconcile } from './audience-run-command.js';
import { runSuppressionsAdd, runSuppressionsList, runSuppressionsRemove } from './suppression-commands.js';
import { runStart, runValidate } from './start-command.js';
import { CONFIG_SCHEMA } from '@switchyard/core';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

/** Commander reports an InvalidArgumentError as a usage error naming the option, with exit code 1. */
const asArgument =
  <T>(parse: (raw: string) => T) =>
  (raw: string): T => {
    try {
      return parse(raw);
    } catch (error) {
      throw new InvalidArgumentError((error as Error).message);
    }
  };

const program = new Command()
  .name('switchyard')
  .description('Self-hostable customer-data router: ingest, protect, route.')
  .version(version, '-V, --version', "print the CLI's version")
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
withAdminOptions(profile.command('show <identifier>').description('the profiles holding <type>:<value> (email:ada@example.com) or a profile id')).action(
  runProfileShow,
);
withAdminOptions(profile.command('log <profileId>').description("a profile's merge log: every link, merge and split, with its cause and rule")).action(
  runProfileLog,
);
withAdminOptions(profile.command('split <profileId> <logEntry>').description('split a merge (a log entry) again')).action(runProfileSplit);
withAdminOptions(profile.command('remove-identifier <profileId> <identifier>').description('remove <type>:<value> from a profile for good')).action(
  runProfileRemoveIdentifier,
);

withAdminOptions(
  program.command('trace <messageId>').description('where a recent event went: each connection it was queued for or skipped (and why), every attempt'),
).action(runTrace);
withAdminOptions(program.command('tail').description("a running router's live view: sampled inbound events and every delivery attempt as they happen"))
  .option('--source <ids>', 'inbound events of these sources (comma-separated)')
  .option('--connection <ids>', 'attempts of these connections, and the events routed to them (comma-separated)')
  .option('--kind <kinds>', 'inbound, attempt or both (comma-separated)')
  .option('--mask-pii', 'mask e-mail addresses, phone numbers, IP addresses and personal fields')
  .option('--rate <n>', 'at most this many inbound events per source and second (default 20)')
  .option('--verbose', "print each attempt's request and response bodies")
  .action(runTail);
withAdminOptions(program.command('status').description("a running router's health, readiness and per-connection delivery counts")).action(runStatus);

const deadLetters = program.command('dead-letters').description("a running router's dead letters, through its admin API");
withAdminOptions(deadLetters.command('list').description('dead letters, oldest first'))
  .option('--connection <id>', 'only this connection')
  .option('--limit <n>', 'at most this many (up to 1000; default 100)', asArgument(parseCount('--limit')))
  .option('--after <id>', 'only dead letters after this id (the next page)', asArgument(parseCount('--after')))
  .action(runDeadLettersList);
withAdminOptions(deadLetters.command('replay').description('queue dead letters again, each decided again for its connection (privacy, routing)'))
  .option('--connection <id>', "all of this connection's dead letters")
  .option('--ids <ids>', 'these dead letters (comma-separated ids)', asArgument(parseIds))
  .action(runDeadLettersReplay);
withAdminOptions(deadLetters.command('purge').description('delete dead letters for good'))
  .option('--connection <id>', "all of this connection's dead letters")
  .option('--ids <ids>', 'these dead letters (comma-separated ids)', asArgument(parseIds))
  .action(runDeadLettersPurge);

const suppressions = program.command('suppressions').description('people whose events a running router never stores or sends');
withAdminOptions(suppressions.command('add <identity>').description('suppress the person holding <type>:<value> (email:ada@example.com)'))
  .option('--reason <text>', 'why (kept with the suppression)')
  .action(runSuppressionsAdd);
withAdminOptions(suppressions.command('list').description('suppressions, newest first'))
  .option('--limit <n>', 'at most this many (up to 1000; default 100)', asArgument(parseCount('--limit')))
  .option('--offset <n>', 'skip this many', asArgument(parseCount('--offset')))
  .action(runSuppressionsList);
withAdminOptions(suppressions.command('remove <id>').description('remove a suppression (its id from suppressions list)')).action(runSuppressionsRemove);

const audiences = program.command('audiences').description("a running router's audience syncs: status, run history, backfill, reconciliation");
withAdminOptions(
  audiences
    .command('status [audience] [connection]')
    .description("every audience sync (or an audience's): mode, state, members, last run; with both: the sync and its runs with error samples"),
)
  .option('--runs <n>', 'with both arguments: show this many runs, newest first (default 20)', asArgument(parseCount('--runs')))
  .action(runAudiencesStatus);
withAdminOptions(
  audiences
    .command('backfill <audience> <connection>')
    .description("run a sync's backfill again (its audience's members the sync has not added yet are sent), and follow it"),
)
  .option('-q, --quiet', 'no progress')
  .action(runAudiencesBackfill);
withAdminOptions(
  audiences
    .command('reconcile <audience> <connection>')
    .description('a mirror sync: make what the destination holds match the members now (adds and removals), and follow the run'),
)
  .option('-q, --quiet', 'no progress')
  .action(runAudiencesReconcile);

const dsr = program.command('dsr').description('data-subject requests to a running router, through its OpenDSR API');
withAdminOptions(dsr.command('submit <type> <identities...>').description(`submit a request (${DSR_TYPES.join(' | ')}) for <type>:<value> identities`))
  .option('--regulation <name>', 'gdpr or ccpa', 'gdpr')
  .action(runDsrSubmit);
withAdminOptions(dsr.command('status <id>').description("a request's status and what each connection did")).action(runDsrStatus);

withRouterUrl(
  program
    .command('replay <file>')
    .description("re-ingest a JSON Lines archive of events (as the file connector writes) through a running router's Segment API"),
)
  .requiredOption('--source <id>', 'the Segment source to send as')
  .option('--write-key <key>', "the source's write key (default: the source's writeKey in --config)")
  .option('--rate <n>', 'at most this many events per second (default: unlimited)', asArgument(parseCount('--rate')))
  .option('-q, --quiet', 'no progress bar')
  .option('--json', 'print the summary as JSON')
  .action(runReplay);

program.parseAsync(process.argv).catch((error: Error) => {
  process.stderr.write(`switchyard: ${error.message}\n`);
  process.exit(1);
});
