import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { egressFor } from '../connection.js';
import type { AnyConnector } from '../define-connector.js';
import { checkSettings } from '../manifest.js';
import type { CanonicalEvent, ItemResult } from '../types.js';
import { CHECKS, type CheckContext, type Probe } from './conformance-checks.js';
import type { ConformanceOptions, ConnectorFacts } from './conformance-types.js';
import { sampleEvents } from './events.js';
import { createTestHarness, type TestableConnector } from './harness.js';
import type { CapturedRequest } from './http-capture.js';

export type { ConformanceOptions, PartialFailureFixture } from './conformance-types.js';

export interface ConformanceFailure {
  check: string;
  message: string;
}
export interface ConformanceReport {
  passed: string[];
  failures: ConformanceFailure[];
}
export interface PlannedCheck {
  name: string;
  title: string;
}

/** The checks that apply to this connector, in the order they are reported. */
export function planConformance(testable: TestableConnector, options: ConformanceOptions): PlannedCheck[] {
  const facts = connectorFacts(testable as AnyConnector, options);
  return CHECKS.filter((check) => check.applies(facts)).map(({ name, title }) => ({ name, title }));
}

/**
 * Runs the conformance checks against a connector in this thread and returns every failure with a
 * readable message; runConformanceSuite turns the same report into jest tests.
 */
export async function checkConformance(testable: TestableConnector, options: ConformanceOptions): Promise<ConformanceReport> {
  const connector = testable as AnyConnector;
  const facts = connectorFacts(connector, options);
  const context = createContext(connector, options, facts);
  const report: ConformanceReport = { passed: [], failures: [] };
  const applicable = CHECKS.filter((check) => check.applies(facts));
  // Checks that read what earlier scenarios captured (egress, secrets) run last, whatever their display order.
  const ordered = [...applicable].sort((a, b) => (a.runsLast ? 1 : 0) - (b.runsLast ? 1 : 0));
  for (const check of ordered) {
    let problems: string[];
    try {
      problems = await check.run(context);
    } catch (error) {
      problems = [`the check could not run: ${(error as Error).message}`];
    }
    if (problems.length === 0) report.passed.push(check.name);
    for (const message of problems) report.failures.push({ check: check.name, message });
  }
  const position = (name: string) => applicable.findIndex((c) => c.name === name);
  report.passed.sort((a, b) => position(a) - position(b));
  report.failures.sort((a, b) => position(a.check) - position(b.check));
  return report;
}

function connectorFacts(connector: AnyConnector, options: ConformanceOptions): ConnectorFacts {
  let egress: readonly string[] = [];
  try {
    const settings = structuredClone(options.settings ?? {});
    checkSettings(connector, settings); // fills defaults a settings-dependent egress may read
    egress = egressFor(connector, settings);
  } catch {
    /* the settings-schema check reports it */
  }
  const actions = Object.values(connector.actions ?? {});
  return {
    connector,
    options,
    egress,
    usesHttp: egress.length > 0,
    hasBatchAction: actions.some((a) => typeof a.performBatch === 'function'),
    hasAudience: Boolean(connector.audience),
  };
}

function enrichmentTakes(enrichment: AnyConnector['enrichment'], event: CanonicalEvent, settings: unknown): boolean {
  if (!enrichment) return false;
  const { types, where } = enrichment.subscribe;
  if (types !== 'all' && !types.includes(event.type)) return false;
  if (where && !where(event)) return false;
  return enrichment.cacheKey(event, settings as never) !== undefined;
}

function createContext(connector: AnyConnector, options: ConformanceOptions, facts: ConnectorFacts): CheckContext {
  const dataDir = mkdtempSync(join(tmpdir(), `switchyard-conformance-${connector.name}-`));
  const success = options.respond ?? (() => ({ status: 200, body: {} }));
  const context: CheckContext = {
    ...facts,
    events: options.sampleEvents ?? sampleEvents(),
    captured: { requests: [], logs: [], results: [], denied: [] },
    deliverable: [],
    responder(failure) {
      if (!failure) return success;
      const failWhere = options.failWhere ?? (() => true);
      return (request) => (failWhere(request) ? failure(request) : success(request));
    },
    harness(respond, settings = options.settings) {
      return createTestHarness(connector, {
        settings,
        respond,
        dataDir,
        mappingOverrides: options.mappingOverrides,
        enabledActions: options.enabledActions,
        requestTimeoutMs: options.requestTimeoutMs ?? 1000,
      });
    },
    async probe(events, respond): Promise<Probe> {
      const harness = context.harness(respond);
      let results: ItemResult[];
      let requests: CapturedRequest[];
      let logs: string[];
      let denied: string[];
      if (Object.keys(connector.actions ?? {}).length > 0 || !connector.enrichment) {
        ({ results, requests, logs, denied } = await harness.run(events));
      } else {
        // The router only asks for lookups of events the enrichment subscribes to and can key.
        const enrichment = connector.enrichment;
        const taken = events.map((e) => enrichmentTakes(enrichment, e, harness.connection.settings));
        const run = await harness.runEnrichment(events.filter((_e, i) => taken[i]));
        ({ requests, logs, denied } = run);
        const looked = run.results.map((r) => r.error ?? { status: 'ok' as const });
        results = taken.map((t) => (t ? looked.shift()! : { status: 'ok', code: 'NOT_SUBSCRIBED' }));
      }
      context.captured.requests.push(...requests);
      context.captured.logs.push(...logs);
      context.captured.results.push(...results);
      context.captured.denied.push(...denied);
      return { results, requests, logs, denied };
    },
  };
  return context;
}
