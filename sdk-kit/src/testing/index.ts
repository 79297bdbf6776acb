/**
 * Testing tools for connector authors: `@switchyard/sdk-kit/testing`. Everything runs in the test's own
 * thread, through the same code the router's workers run.
 */
export {
  createTestHarness,
  type HarnessOptions,
  type HarnessRun,
  type HarnessDeleteRun,
  type HarnessExportRun,
  type HarnessEnrichmentRun,
  type TestHarness,
  type TestableConnector,
} from './harness.js';
export { networkError, neverAnswer, type CapturedRequest, type MockResponse, type Responder } from './http-capture.js';
export {
  buildTrack,
  buildIdentify,
  buildPage,
  buildScreen,
  buildGroup,
  buildCommerce,
  buildAudience,
  sampleEvents,
  type EventOverrides,
  type AudienceEventOverrides,
} from './events.js';
export {
  checkConformance,
  planConformance,
  type ConformanceOptions,
  type ConformanceReport,
  type ConformanceFailure,
  type PartialFailureFixture,
  type PlannedCheck,
} from './conformance.js';
export { runConformanceSuite } from './jest-suite.js';
export { verifyAwsSignature, type SignedRequest, type SignatureProblem } from './aws-signature.js';
export { verifyOAuth1Signature } from './oauth1-signature.js';
