import type { TestableConnector } from './harness.js';
import { checkConformance, planConformance, type ConformanceOptions, type ConformanceReport } from './conformance.js';
import { isMissing, missingPeerError } from './optional-peer.js';

// Loaded up front but failing only when the suite is registered: outside jest, @jest/globals refuses to load,
// and checkConformance must still work there.
const jestGlobals = await import('@jest/globals').catch((error: unknown) => error as Error);

function jest(): typeof import('@jest/globals') {
  if (!(jestGlobals instanceof Error)) return jestGlobals;
  if (isMissing('@jest/globals', jestGlobals)) throw missingPeerError('@jest/globals', 'to register the conformance suite', jestGlobals);
  throw new Error(
    `runConformanceSuite registers jest tests, so it runs in a jest test file; elsewhere, call checkConformance(connector, options) (${jestGlobals.message})`,
  );
}

/**
 * Registers the conformance checks as jest tests, one `it` per check, in a connector's test file:
 * `runConformanceSuite(connector, { settings })`. Checks that need HTTP are registered only for
 * connectors that declare egress hosts; the batch partial-failure check only with a `partialFailure` fixture.
 */
export function runConformanceSuite(connector: TestableConnector, options: ConformanceOptions & { timeoutMs?: number }): void {
  const { beforeAll, describe, expect, it } = jest();
  const checks = planConformance(connector, options);
  const missingFixture =
    checks.every((c) => c.name !== 'batch-partial-failure') &&
    Object.values(connector.actions ?? {}).some((a: { performBatch?: unknown }) => typeof a.performBatch === 'function');
  const note = missingFixture ? ' (batch partial failure not checked: no partialFailure fixture)' : '';
  describe(`connector "${connector.name}" conformance${note}`, () => {
    let report: ConformanceReport | undefined;
    beforeAll(async () => {
      report = await checkConformance(connector, options);
    }, options.timeoutMs ?? 60_000);
    for (const check of checks) {
      it(check.title, () => {
        if (!report) throw new Error('the conformance checks did not run (see the beforeAll failure above)');
        const failures = report.failures.filter((f) => f.check === check.name);
        if (failures.length) throw new Error(`${check.name}:\n  - ${failures.map((f) => f.message).join('\n  - ')}`);
        expect(report.passed).toContain(check.name);
      });
    }
  });
}
