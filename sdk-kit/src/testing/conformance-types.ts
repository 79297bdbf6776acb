import type { AnyConnector } from '../define-connector.js';
import type { Mapping } from '../mapping/index.js';
import type { CanonicalEvent, ItemOutcome } from '../types.js';
import type { CapturedRequest, Responder } from './http-capture.js';

/** A vendor answer that fails some items of a batch and accepts the others. */
export interface PartialFailureFixture {
  /** Answers the batch request(s) with the vendor's partial-failure body. */
  respond: Responder;
  /** The batch to send (at least two events); default: the sample events the action takes. */
  events?: CanonicalEvent[];
  /** The batch action; default: the first action with performBatch. */
  action?: string;
  /** Settings for this check (e.g. turning batching on); default: the suite's settings. */
  settings?: unknown;
  /** Expected status per event; default: at least one `ok` and at least one failure. */
  expect?: ItemOutcome[];
}

export interface ConformanceOptions {
  /** Valid settings for a connection, with a value for every secret setting. */
  settings: unknown;
  /** Events to deliver; default: one of each builder (track, identify, page, screen, group, commerce). */
  sampleEvents?: CanonicalEvent[];
  /** The destination's success answers; default: 200 with `{}`. */
  respond?: Responder;
  /** Which requests simulated failures apply to (default: all); others get `respond`, e.g. an OAuth token endpoint. */
  failWhere?: (request: CapturedRequest) => boolean;
  partialFailure?: PartialFailureFixture;
  /** The data subject handed to onDelete and onExport; default: the user_id, anonymous_id, email and phone of the sample events. */
  deleteIdentities?: Record<string, string>;
  mappingOverrides?: Record<string, Record<string, Mapping>>;
  enabledActions?: readonly string[];
  /** ctx.http's request timeout during the checks (default 1000 ms): the timeout check waits this long. */
  requestTimeoutMs?: number;
  /** Sync settings of the audience changes the audience checks send (only for connectors with an audience sync). */
  audienceSync?: Record<string, unknown>;
}

export interface ConnectorFacts {
  connector: AnyConnector;
  options: ConformanceOptions;
  egress: readonly string[];
  usesHttp: boolean;
  hasBatchAction: boolean;
  hasAudience: boolean;
}
