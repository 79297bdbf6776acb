export * from './types.js';
export * from './errors.js';
export { PRIVACY_RECHECK, REVOKED, SendRevokedError, type SendGuard, type RequestGuard } from './send-guard.js';
export { errorForHttpStatus, parseRetryAfter } from './http-status.js';
export { httpErrorResponse, vendorHttpError } from './vendor-error.js';
export { classifyError } from './classify.js';
export { throwIfFailed, performAsBatchOfOne, sendSkipping, sendSplittingOnRefusal, sendInChunks, type BatchEntry } from './batch-results.js';
export { chunkForRequests, type RequestLimits, type RequestChunk } from './chunking.js';
export { sendDroppingRefused, type RefusalReading } from './refused-items.js';
export { isHostAllowed, EgressDeniedError } from './egress.js';
export { createHttpClient } from './http-client.js';
export { ExchangeRecorder, type HttpExchange, type ExchangeSink } from './http-exchange.js';
export { createConnectorLogger, ALWAYS_REDACTED_PATHS } from './logger.js';
export { secretPaths, secretValues, scrubSecrets, REDACTED } from './secrets.js';
export * from './define-connector.js';
export * from './audience/index.js';
export { oauthAccessToken, forgetOAuthAccessToken, type RefreshTokenGrant } from './oauth/refresh-token.js';
export {
  GOOGLE_TOKEN_URL,
  parseServiceAccountKey,
  signServiceAccountAssertion,
  serviceAccountAccessToken,
  forgetServiceAccountTokens,
  type ServiceAccountKey,
  type ServiceAccountOptions,
} from './oauth/service-account.js';
export { clientCredentialsToken, forgetClientCredentialsToken, type ClientCredentialsGrant } from './oauth/client-credentials.js';
export type { TokenResponse } from './oauth/token-cache.js';
export { oauth1Authorization, type OAuth1Credentials, type OAuth1Request, type OAuth1Overrides } from './oauth/oauth1.js';
export { executeEvents, actionTakes, subscriptionTakes, selectActions, type PreparedConnection } from './executor.js';
export { RateLimiter } from './rate-limiter.js';
export { executeEnrichment, type EnrichmentResult } from './enrichment.js';
export { executeDeletion, executeExport, toJsonSafe, type ExportOutcome } from './data-subject.js';
export { SubjectMatcher, normalizeIdentity } from './subject-matcher.js';
export { prepareConnection, egressFor, regionsFor, DEFAULT_REQUEST_TIMEOUT_MS, type ConnectionOptions } from './connection.js';
export { checkManifest, checkSettings, checkSyncSettings } from './manifest.js';
export { createSchemaValidator, describeSchemaErrors } from './schema.js';
export * from './mapping/index.js';
export * from './identifiers/index.js';
export { checkSdkKitCompatibility, declaredSdkKitRange, satisfiesRange, type ConnectorPackageJson } from './compat.js';
export { Type, type Static, type TSchema } from '@sinclair/typebox';
export { gzipJsonLines } from './json-lines.js';
