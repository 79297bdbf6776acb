import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { egressFor, prepareConnection } from '../connection.js';
import { executeListMembers, type ListMembersOutcome, type ListMembersRequest } from '../audience/list-members.js';
import { executeDeletion, executeExport } from '../data-subject.js';
import type { AnyConnector, ConnectorDefinition } from '../define-connector.js';
import { executeEnrichment, type EnrichmentResult } from '../enrichment.js';
import { executeEvents, type PreparedConnection } from '../executor.js';
import type { Mapping } from '../mapping/index.js';
import type { SendGuard } from '../send-guard.js';
import type { CanonicalEvent, ItemResult, SubjectRecord } from '../types.js';
import { captureHttp, type CapturedRequest, type HostResponder, type Responder } from './http-capture.js';

export interface HarnessOptions {
  /** The connection's settings, validated (and defaulted) exactly as the router does. */
  settings: unknown;
  mappingOverrides?: Record<string, Record<string, Mapping>>;
  enabledActions?: readonly string[];
  /** Answers every request no `intercept` matches; default: 200 with `{}`. */
  respond?: Responder;
  connectionId?: string;
  /** The connection's data directory; default: a fresh temp directory. */
  dataDir?: string;
  /** Log level of `ctx.log`; default `trace`, so every line the connector writes is captured. */
  logLevel?: string;
  requestTimeoutMs?: number;
  /** A stand-in for the runtime's last privacy check (`SendGuard`), to see what is handed back; default: none. */
  guard?: SendGuard;
}

export interface HarnessRun {
  requests: CapturedRequest[];
  /** One result per event, in order, exactly as the runtime would record them. */
  results: ItemResult[];
  /** Lines written to `ctx.log` and to `console` during the run. */
  logs: string[];
  /** URLs `ctx.http` refused because their host is not in egress (never sent), even if the connector swallowed the error. */
  denied: string[];
}

export interface HarnessDeleteRun {
  requests: CapturedRequest[];
  result: ItemResult;
  logs: string[];
  denied: string[];
}
export interface HarnessExportRun {
  requests: CapturedRequest[];
  result: ItemResult;
  records: SubjectRecord[];
  logs: string[];
  denied: string[];
}
export interface HarnessListRun extends ListMembersOutcome {
  requests: CapturedRequest[];
  logs: string[];
  denied: string[];
}
export interface HarnessEnrichmentRun {
  requests: CapturedRequest[];
  results: EnrichmentResult[];
  logs: string[];
  denied: string[];
}

export interface TestHarness {
  /** The prepared connection (settings with defaults applied, fenced http client, logger). */
  readonly connection: PreparedConnection;
  /** Runs every enabled action that takes each event, and the connector's audience sync on `audience` events. */
  run(events: CanonicalEvent | CanonicalEvent[]): Promise<HarnessRun>;
  /** Runs one action only, on the events it subscribes to. */
  runAction(action: string, events: CanonicalEvent | CanonicalEvent[]): Promise<HarnessRun>;
  /** Forwards a data-subject erasure to `onDelete`, as the runtime does (`NO_DELETE_SUPPORT` when absent). */
  runDelete(identities: Record<string, string>): Promise<HarnessDeleteRun>;
  /** Reads a data subject's records back with `onExport`, as the runtime does (`NO_EXPORT_SUPPORT` when absent). */
  runExport(identities: Record<string, string>): Promise<HarnessExportRun>;
  /** Reads one page of a destination audience with `audience.listMembers`, as mirror syncs do (`NO_LIST_SUPPORT` when absent). */
  runListMembers(request: ListMembersRequest): Promise<HarnessListRun>;
  /** Runs an enrichment connector's lookup for each event. */
  runEnrichment(events: CanonicalEvent | CanonicalEvent[]): Promise<HarnessEnrichmentRun>;
  /** Answers requests to `host` (an egress pattern: `api.example.com`, `*.example.com`, `host:port`) with `handler`. */
  intercept(host: string, handler: Responder): TestHarness;
  /** Replaces the answer for requests no `intercept` matches. */
  respond(handler: Responder): TestHarness;
}

/** Any connector made with defineConnector, whatever its settings and payload types. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type TestableConnector = ConnectorDefinition<any, any, any>;

const OK: Responder = () => ({ status: 200, body: {} });
const CONSOLE_METHODS = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;

/**
 * A connection of `connector` that runs in the calling thread, through the runtime's own code
 * (prepareConnection, executeEvents, executeEnrichment, executeDeletion, executeExport), with every HTTP request captured
 * and answered in-process. In-thread on purpose: the router runs connectors in worker threads, and an
 * HTTP interceptor such as nock set up in the test thread never sees a worker's requests.
 */
export function createTestHarness(testable: TestableConnector, options: HarnessOptions): TestHarness {
  const connector = testable as AnyConnector;
  const logs: string[] = [];
  const denied: string[] = [];
  const prepared = prepareConnection(connector, {
    connectionId: options.connectionId ?? 'conn-test',
    settings: options.settings,
    dataDir: options.dataDir ?? mkdtempSync(join(tmpdir(), `switchyard-${connector.name}-`)),
    mappingOverrides: options.mappingOverrides,
    enabledActions: options.enabledActions,
    requestTimeoutMs: options.requestTimeoutMs,
    logLevel: options.logLevel ?? 'trace',
    logDestination: {
      write: (line: string) => {
        logs.push(line);
      },
    },
  });
  // Observes (never changes) the runtime client, so a refusal the connector swallows is still reported.
  const http = prepared.http.extend({
    hooks: {
      beforeError: [
        (error) => {
          if (error.code === 'EGRESS_DENIED') denied.push(String(error.options?.url ?? ''));
          return error;
        },
      ],
    },
  });
  const connection: PreparedConnection = { ...prepared, http };
  const egress = egressFor(connector, connection.settings);
  const hosts: HostResponder[] = [];
  let fallback = options.respond ?? OK;

  async function capture<T>(work: () => Promise<T>): Promise<{ value: T; requests: CapturedRequest[]; logs: string[]; denied: string[] }> {
    const firstLog = logs.length;
    const firstDenied = denied.length;
    const session = captureHttp(connector.name, egress, hosts, fallback);
    const restoreConsole = captureConsole(logs);
    try {
      const value = await work();
      return { value, requests: session.requests, logs: logs.slice(firstLog), denied: denied.slice(firstDenied) };
    } finally {
      restoreConsole();
      session.stop();
    }
  }

  const list = (events: CanonicalEvent | CanonicalEvent[]) => (Array.isArray(events) ? events : [events]);

  const harness: TestHarness = {
    connection,
    async run(events) {
      const { value, ...run } = await capture(() => executeEvents(connection, list(events), undefined, options.guard));
      return { ...run, results: value };
    },
    async runAction(action, events) {
      if (!(action in connector.actions)) {
        throw new Error(`connector "${connector.name}" has no action "${action}" (actions: ${Object.keys(connector.actions).join(', ') || 'none'})`);
      }
      const only = { ...connection, enabledActions: [action] };
      const { value, ...run } = await capture(() => executeEvents(only, list(events), undefined, options.guard));
      return { ...run, results: value };
    },
    async runDelete(identities) {
      const { value, ...run } = await capture(() => executeDeletion(connection, identities));
      return { ...run, result: value };
    },
    async runExport(identities) {
      const { value, ...run } = await capture(() => executeExport(connection, identities));
      return { ...run, ...value };
    },
    async runListMembers(request) {
      const { value, ...run } = await capture(() => executeListMembers(connection, request));
      return { ...run, ...value };
    },
    async runEnrichment(events) {
      const { value, ...run } = await capture(() => executeEnrichment(connection, list(events)));
      return { ...run, results: value };
    },
    intercept(host, handler) {
      hosts.unshift({ pattern: host, respond: handler });
      return harness;
    },
    respond(handler) {
      fallback = handler;
      return harness;
    },
  };
  return harness;
}

/** Connectors should log through ctx.log, but a stray console call must not escape the secrets check. */
function captureConsole(lines: string[]): () => void {
  const originals = CONSOLE_METHODS.map((method) => [method, console[method]] as const);
  for (const [method, original] of originals) {
    console[method] = (...args: unknown[]) => {
      lines.push(args.map((a) => (typeof a === 'string' ? a : safeStringify(a))).join(' '));
      original.apply(console, args);
    };
  }
  return () => {
    for (const [method, original] of originals) console[method] = original;
  };
}

function safeStringify(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
